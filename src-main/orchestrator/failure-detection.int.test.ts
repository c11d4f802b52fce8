import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodeListResponseSchema } from "../../src-shared/nodes/node-info.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { startWorkerProcess, type WorkerProcess } from "../../test-support/worker-process.js";

// Failure detection with the default timings: a crashed agent (socket closed) must be unschedulable
// within 1 s, a hung one (process stopped, sockets open) Offline within 6 s.
let orch: TestOrchestrator;
let crashing: WorkerProcess;
let hanging: WorkerProcess;

async function statusOf(nodeId: string): Promise<string | undefined> {
  const nodes = NodeListResponseSchema.parse(await (await orch.api("/v2/nodes")).json()).nodes;
  return nodes.find((n) => n.node_id === nodeId)?.status;
}

async function timeUntil(nodeId: string, status: string, limitMs: number): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < limitMs) {
    if ((await statusOf(nodeId)) === status) return performance.now() - t0;
    await new Promise((r) => setTimeout(r, 20));
  }
  return Infinity;
}

beforeAll(async () => {
  // Default liveness settings; the workers heartbeat every second like a default agent.
  orch = await startTestOrchestrator({ pool_probe_interval_ms: 10_000 });
  [crashing, hanging] = await Promise.all(
    ["crash", "hang"].map((id) => startWorkerProcess({ nodeId: id, models: ["tiny"], orchestratorUrl: orch.url, token: orch.token, env: { POOL_MANAGERD_HEARTBEAT_INTERVAL_SECS: "1" } })),
  ) as [WorkerProcess, WorkerProcess];
  for (const id of ["crash", "hang"]) expect(await timeUntil(id, "Online", 20_000)).toBeLessThan(Infinity);
  // Let the watch connections settle.
  await new Promise((r) => setTimeout(r, 300));
}, 60_000);

afterAll(async () => {
  if (hanging) process.kill(hanging.pid, "SIGCONT");
  await Promise.all([crashing?.kill("SIGKILL"), hanging?.kill("SIGKILL")]);
  await orch?.close();
});

describe("failure detection (default timings)", () => {
  it("a crashed idle worker is unschedulable (Suspect) within 1 s, then Offline", async () => {
    process.kill(crashing.pid, "SIGKILL");
    const suspectAfter = await timeUntil("crash", "Suspect", 5000);
    console.log(`failure detection: crash → Suspect in ${Math.round(suspectAfter)} ms`);
    expect(suspectAfter).toBeLessThan(1000);
    expect(await timeUntil("crash", "Offline", 8000)).toBeLessThan(Infinity);
    expect(await statusOf("hang")).toBe("Online");
  });

  it("a hung worker (stopped, sockets open) is Offline within 6 s", async () => {
    process.kill(hanging.pid, "SIGSTOP");
    const offlineAfter = await timeUntil("hang", "Offline", 10_000);
    console.log(`failure detection: hang → Offline in ${Math.round(offlineAfter)} ms`);
    expect(offlineAfter).toBeLessThan(6000);
  });
});
