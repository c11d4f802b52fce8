import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodeDetailSchema } from "../../src-shared/dashboard/cluster-events.js";
import { NodeListResponseSchema } from "../../src-shared/nodes/node-info.js";
import { TaskStatusSchema } from "../../src-shared/tasks/task-status.js";
import { startFaultProxy, type FaultProxy } from "../../test-support/faults/fault-proxy.js";
import { testModelName } from "../../test-support/models.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { waitFor } from "../../test-support/wait-for.js";
import { startWorkerProcess, type WorkerProcess } from "../../test-support/worker-process.js";

// The one-way black hole: worker → orchestrator bytes stop while heartbeats keep the node Online.
// Worker task streams carry a keep-alive every second; the orchestrator gives up after
// worker_stream_idle_ms of silence, so the client gets a terminal event instead of hanging.
// The same bound fails a silent /v2/watch (1 s pings): 2 s marked the healthy node Suspect once when
// a loaded box held its worker's event loop for over a second (full suite beside a compile).
const IDLE_MS = 3000;
const TINY = testModelName("tiny");
const MEDIUM = testModelName("medium");
const NODES = ["oneway-a", "oneway-b"] as const;
let orch: TestOrchestrator;
const proxies = new Map<string, FaultProxy>();
const workers: WorkerProcess[] = [];
let client: OpenAI;

beforeAll(async () => {
  // No periodic probes: only the task streams themselves are under test.
  orch = await startTestOrchestrator({ worker_stream_idle_ms: IDLE_MS, pool_probe_interval_ms: 0 });
  for (const nodeId of NODES) {
    const proxy = await startFaultProxy(() => 0.5);
    proxies.set(nodeId, proxy);
    const worker = await startWorkerProcess({ nodeId, models: ["tiny", "medium"], orchestratorUrl: orch.url, token: orch.token, slots: 2, env: { POOL_MANAGERD_ADVERTISE_URL: proxy.url } });
    proxy.setTarget(worker.address);
    workers.push(worker);
  }
  await waitFor("both nodes Online with two ready pools", async () => (await nodes()).filter((n) => n.status === "Online" && n.pools.filter((p) => p.ready).length === 2).length === 2, 30_000);
  client = new OpenAI({ baseURL: `${orch.url}/v1`, apiKey: orch.token, maxRetries: 0 });
}, 90_000);

afterAll(async () => {
  for (const w of workers) await w.kill();
  for (const p of proxies.values()) await p.close();
  await orch?.close();
});

async function nodes() {
  return NodeListResponseSchema.parse(await (await orch.api("/v2/nodes")).json()).nodes;
}

async function taskStatus(taskId: string) {
  return TaskStatusSchema.parse(await (await orch.api(`/v2/tasks/${taskId}`)).json());
}

async function silencedEvents(nodeId: string) {
  const node = NodeDetailSchema.parse(await (await orch.api(`/v2/nodes/${nodeId}`)).json());
  return node.events.filter((e) => e.to === "Suspect" && e.message.includes("went silent"));
}

function proxyOf(nodeId: string): FaultProxy {
  const proxy = proxies.get(nodeId);
  if (proxy === undefined) throw new Error(`no proxy for ${nodeId}`);
  return proxy;
}

describe("a one-way partition of the orchestrator → worker path", () => {
  it("mid-stream: the client gets a terminal WORKER_RESET within the idle bound, the node becomes Suspect", async () => {
    const { data: stream, response } = await client.chat.completions.create({ model: MEDIUM, messages: [{ role: "user", content: "Tell a long story" }], max_tokens: 3000, stream: true }).withResponse();
    const taskId = response.headers.get("x-task-id") ?? "";
    const chunks = stream[Symbol.asyncIterator]();
    for (;;) {
      const next = await chunks.next();
      if (next.done === true) throw new Error("the stream ended before its first token");
      if ((next.value.choices[0]?.delta.content ?? "") !== "") break;
    }
    const nodeId = (await taskStatus(taskId)).node_id ?? "";
    proxyOf(nodeId).set({ kind: "mute" });
    const mutedAt = Date.now();
    try {
      const rest = (async () => {
        for (;;) if ((await chunks.next()).done === true) return "ended normally";
      })();
      await expect(rest).rejects.toThrow(/went silent/);
      expect(Date.now() - mutedAt).toBeLessThan(IDLE_MS + 2000);
      const status = await taskStatus(taskId);
      expect(status.state).toBe("failed");
      expect(status.error?.code).toBe("WORKER_RESET");
      expect((await silencedEvents(nodeId)).length).toBeGreaterThan(0);
    } finally {
      proxyOf(nodeId).set({ kind: "pass" });
    }
  }, 30_000);

  it("before the first token: the attempt is re-placed on the other node and every request completes", async () => {
    await waitFor("both nodes Online again", async () => (await nodes()).every((n) => n.status === "Online"), 10_000);
    const muted = NODES[0];
    const before = (await silencedEvents(muted)).length;
    proxyOf(muted).set({ kind: "mute" });
    try {
      const started = Date.now();
      // Four requests over two 2-slot nodes: placement puts some on the muted node.
      const results = await Promise.all(Array.from({ length: 4 }, () => client.chat.completions.create({ model: TINY, messages: [{ role: "user", content: "hi" }], max_tokens: 8 }).withResponse()));
      expect(Date.now() - started).toBeLessThan(IDLE_MS + 5000);
      const statuses = await Promise.all(results.map((r) => taskStatus(r.response.headers.get("x-task-id") ?? "")));
      for (const [i, s] of statuses.entries()) {
        expect(s.state).toBe("completed");
        expect(s.node_id).toBe(NODES[1]);
        expect(results[i]?.data.usage?.completion_tokens).toBe(8);
      }
      expect(statuses.some((s) => s.attempts === 2)).toBe(true);
      expect((await silencedEvents(muted)).length).toBeGreaterThan(before);
    } finally {
      proxyOf(muted).set({ kind: "pass" });
    }
  }, 30_000);
});
