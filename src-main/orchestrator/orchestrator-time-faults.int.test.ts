import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { freePort, startHeadlessOrchestrator, type HeadlessOrchestrator } from "../../test-support/headless-process.js";
import { startWorkerProcess, type WorkerProcess } from "../../test-support/worker-process.js";
import { testModelName } from "../../test-support/models.js";
import { waitFor } from "../../test-support/wait-for.js";

// The orchestrator's own time faults must not fail the cluster. (1) A step of its host's wall clock
// (NTP correcting a drift, `date -s`, a VM restored from a snapshot): the orchestrator runs as a child
// process whose Date.now() is shifted by test-support/clock-skew-preload.mjs (the machine's clock is
// not touched). Before the fix, a +2 min step made every node's last heartbeat "2 minutes old": all
// nodes Offline at the next liveness sweep, every running stream ended with WORKER_RESET, and queued
// tasks with a 60 s deadline failed DEADLINE_UNMET. (2) A pause of the orchestrator process longer
// than the node timeout (SIGSTOP/SIGCONT here; a paused VM, a blocked event loop): the heartbeats and
// tokens sent meanwhile wait unread in the sockets, but on resume its timers ran first and blamed the
// workers — every node Offline ("no heartbeat for 8138 ms"), every stream WORKER_RESET.
const TOKEN = "clock-step-token-0123456789abcdef0123456789";
const headers = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
const MEDIUM = testModelName("medium");
const dataDir = mkdtempSync(join(tmpdir(), "llorch-clock-"));
const skewFile = join(dataDir, "clock-skew-ms");
let orch: HeadlessOrchestrator;
let worker: WorkerProcess;

async function nodeState(): Promise<{ status: string; events: { kind: string; message: string }[] }> {
  return (await (await fetch(`${orch.url}/v2/nodes/clk`, { headers })).json()) as { status: string; events: { kind: string; message: string }[] };
}

async function taskState(id: string): Promise<{ state: string; error?: { code: string } | null }> {
  return (await (await fetch(`${orch.url}/v2/tasks/${id}`, { headers })).json()) as { state: string; error?: { code: string } | null };
}

beforeAll(async () => {
  const preload = fileURLToPath(new URL("../../test-support/clock-skew-preload.mjs", import.meta.url));
  orch = await startHeadlessOrchestrator({ port: await freePort(), dataDir, token: TOKEN, env: { NODE_OPTIONS: `--import=${preload}`, LLORCH_TEST_CLOCK_SKEW_FILE: skewFile } });
  // One slot: the second task queues behind the first.
  worker = await startWorkerProcess({ nodeId: "clk", models: ["medium"], orchestratorUrl: orch.url, token: TOKEN, slots: 1, startTimeoutMs: 60_000 });
  await waitFor("node clk Online", async () => (await nodeState()).status === "Online", 30_000);
}, 120_000);

afterAll(async () => {
  await worker?.kill("SIGKILL");
  await orch?.kill("SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
});

describe("the orchestrator's own time faults", () => {
  it("a +2 min step of its wall clock: the node stays Online, the running stream finishes and the queued task (60 s deadline) runs", async () => {
    const streamed = await fetch(`${orch.url}/v1/chat/completions`, { method: "POST", headers, body: JSON.stringify({ model: MEDIUM, messages: [{ role: "user", content: "go" }], max_tokens: 1500, stream: true }) });
    expect(streamed.status).toBe(200);
    const reader = (streamed.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = decoder.decode((await reader.read()).value);

    const queuedId = randomUUID();
    const submitted = await fetch(`${orch.url}/v2/tasks`, {
      method: "POST", headers,
      body: JSON.stringify({ task_id: queuedId, session_id: queuedId, workload: "completion", model_ref: MEDIUM, engine: "llamacpp", ctx: 4096, priority: "interactive", prompt: "hi", max_tokens: 8, deadline_ms: 60_000 }),
    });
    expect(submitted.status).toBe(202);
    expect((await taskState(queuedId)).state).toBe("queued");

    writeFileSync(skewFile, String(120_000));
    // The step is in effect (the orchestrator stamps heartbeats with its shifted clock), with the stream still running.
    await waitFor("the orchestrator's clock stepped", async () => {
      const node = (await (await fetch(`${orch.url}/v2/nodes/clk`, { headers })).json()) as { last_heartbeat_ms: number };
      return node.last_heartbeat_ms > Date.now() + 60_000;
    }, 10_000);
    expect((await taskState(queuedId)).state).toBe("queued");

    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) break;
      text += decoder.decode(chunk.value);
    }
    expect(text).not.toContain("\"error\"");
    expect(text).toContain("\"finish_reason\":\"length\"");
    expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);

    const queued = await waitFor(() => taskState(queuedId), (t) => t.state !== "queued" && t.state !== "running" && t.state !== "dispatching", 60_000);
    expect(queued.state).toBe("completed");
    const node = await nodeState();
    expect(node.status).toBe("Online");
    expect(node.events.filter((e) => /Suspect|Offline/.test(e.message))).toEqual([]);
  }, 120_000);
  it("a 7 s pause of its process (SIGSTOP, SIGCONT): the node stays Online and the running stream finishes", async () => {
    const before = (await nodeState()).events.length;
    const streamed = await fetch(`${orch.url}/v1/chat/completions`, { method: "POST", headers, body: JSON.stringify({ model: MEDIUM, messages: [{ role: "user", content: "go on" }], max_tokens: 1500, stream: true }) });
    expect(streamed.status).toBe(200);
    const reader = (streamed.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = decoder.decode((await reader.read()).value);
    // Longer than node_timeout_ms and worker_stream_idle_ms (5 s each).
    process.kill(orch.pid, "SIGSTOP");
    try {
      await new Promise((r) => setTimeout(r, 7000));
    } finally {
      process.kill(orch.pid, "SIGCONT");
    }
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) break;
      text += decoder.decode(chunk.value);
    }
    expect(text).not.toContain("\"error\"");
    expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
    const node = await nodeState();
    expect(node.status).toBe("Online");
    expect(node.events.slice(before).filter((e) => /Suspect|Offline/.test(e.message))).toEqual([]);
  }, 120_000);
});
