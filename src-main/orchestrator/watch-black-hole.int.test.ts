import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodeDetailSchema } from "../../src-shared/dashboard/cluster-events.js";
import { NodeListResponseSchema } from "../../src-shared/nodes/node-info.js";
import { startFaultProxy, type FaultProxy } from "../../test-support/faults/fault-proxy.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { waitFor } from "../../test-support/wait-for.js";
import { startWorkerProcess, type WorkerProcess } from "../../test-support/worker-process.js";

// The orchestrator's own GET /v2/watch connection to a worker (it is the client there) has an idle
// limit: the worker sends a keep-alive every second, so a watch that goes silent without closing (a
// black hole between them) fails after worker_stream_idle_ms, the node turns Suspect once, and the
// watch reconnects with backoff while heartbeats (which do not pass the proxy) decide the status.
const IDLE_MS = 2000;
const NODE = "watch-hole";
let orch: TestOrchestrator;
let proxy: FaultProxy;
let worker: WorkerProcess;

beforeAll(async () => {
  // No periodic probes and no tasks: only the watch passes the proxy.
  orch = await startTestOrchestrator({ worker_stream_idle_ms: IDLE_MS, pool_probe_interval_ms: 0 });
  proxy = await startFaultProxy(() => 0.5);
  worker = await startWorkerProcess({ nodeId: NODE, models: ["tiny"], orchestratorUrl: orch.url, token: orch.token, env: { POOL_MANAGERD_ADVERTISE_URL: proxy.url } });
  proxy.setTarget(worker.address);
  await waitFor("the node Online", async () => (await status()) === "Online", 30_000);
}, 90_000);

afterAll(async () => {
  await worker?.kill();
  await proxy?.close();
  await orch?.close();
});

async function status() {
  return NodeListResponseSchema.parse(await (await orch.api("/v2/nodes")).json()).nodes.find((n) => n.node_id === NODE)?.status;
}

async function suspectEvents(text: string, without = "\u0000") {
  const node = NodeDetailSchema.parse(await (await orch.api(`/v2/nodes/${NODE}`)).json());
  return node.events.filter((e) => e.to === "Suspect" && e.message.includes(text) && !e.message.includes(without));
}

describe("the orchestrator's watch connection to a worker", () => {
  it("fails after worker_stream_idle_ms of silence (black hole), marks the node Suspect once, and heartbeats keep deciding its status; the healed watch detects a crash at once", async () => {
    // Let the watch connect (it has carried keep-alives for a while) before the hole opens.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await suspectEvents("went silent")).toHaveLength(0);
    proxy.set({ kind: "blackhole" });
    const holeAt = Date.now();
    await waitFor("a Suspect event for the silent watch", async () => (await suspectEvents("went silent")).length > 0, 15_000, 100);
    const detectedMs = Date.now() - holeAt;
    // Silence counts from the last keep-alive (one a second), which came up to 1 s before the hole.
    expect(detectedMs).toBeGreaterThanOrEqual(IDLE_MS - 1100);
    // Heartbeats still arrive (they do not pass the proxy): the node is Online again.
    await waitFor("the node Online again from its heartbeats", async () => (await status()) === "Online", 10_000);
    // Reconnect attempts into the hole fail silently too, without marking the node again (no flapping).
    await new Promise((r) => setTimeout(r, 4 * IDLE_MS));
    expect(await suspectEvents("went silent")).toHaveLength(1);
    expect(await status()).toBe("Online");

    // Healed: the watch reconnects (backoff is capped well below this wait), so a crash is seen as a
    // dropped watch connection, not only after heartbeat silence.
    proxy.set({ kind: "pass" });
    await new Promise((r) => setTimeout(r, 3 * IDLE_MS));
    const droppedBefore = (await suspectEvents("connection to the node dropped", "went silent")).length;
    await worker.kill("SIGKILL");
    await waitFor("a Suspect event for the dropped watch", async () => (await suspectEvents("connection to the node dropped", "went silent")).length > droppedBefore, 10_000, 100);
    console.log(`silent watch detected after ${detectedMs} ms (limit ${IDLE_MS} ms)`);
  }, 120_000);
});
