import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodeListResponseSchema } from "../../src-shared/nodes/node-info.js";
import { readSseEvents } from "../../src-shared/streaming/read-sse.js";
import { taskRequest } from "../../test-support/fixtures.js";
import { sseFrame, startProtocolNode, type ProtocolNode } from "../../test-support/protocol-node.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";

// 10,000 tasks through a real orchestrator (in process), then a forced GC: the heap must not keep
// what the finished tasks used beyond the bounded history. The node is a boundary double: a real
// worker on the tiny model takes tens of ms per task on this 2-core box, so 10,000 tasks would take
// minutes; this one speaks the worker protocol (register, heartbeat, watch, pool status, infer SSE)
// and answers each infer with its max_tokens tokens at once (TOKENS_PER_TASK: finished tasks keep
// their events for replay, packed, see tasks/task-event-log.ts).

const MODEL = "memory-sim";
const SLOTS = 16;
const TASKS = 10_000;
const WARMUP = 2_500;
const CONCURRENCY = 16;
const HEAP_BOUND_BYTES = 20 * 1024 * 1024;
const TOKENS_PER_TASK = 4;
/**
 * Native memory V8 reports beside its heap: `external` (what JS objects hold outside the heap, e.g.
 * libsql's statements) and `arrayBuffers` (Buffers: socket reads and writes). Neither may grow with the
 * number of tasks: a Buffer kept per finished task or per closed socket would show here, not in the heap.
 */
const NATIVE_BOUND_BYTES = 16 * 1024 * 1024;
const SESSION_TTL_MS = 2000;

let orch: TestOrchestrator;
let node: ProtocolNode;

function startFastNode(orchUrl: string, token: string): Promise<ProtocolNode> {
  return startProtocolNode({
    orchUrl, token, nodeId: "mem", modelName: MODEL, slots: SLOTS,
    // Every token at once: 10,000 tasks in reasonable time.
    onInfer: (res, { task_id, max_tokens }) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      let tokens = "";
      for (let i = 0; i < max_tokens; i++) tokens += sseFrame("token", { t: ` x${i}`, i });
      res.end(
        sseFrame("started", { queue_position: 0, predicted_start_ms: 0, task_id, node_id: "mem", pool_id: "p0" }) +
          tokens +
          sseFrame("end", { tokens_out: max_tokens, decode_ms: 1, decode_time_ms: 1, stop_reason: "max_tokens", tokens_in: 2 }),
      );
    },
  });
}

/** One task as a client runs it: POST /v2/tasks, then its event stream to the terminal event. */
const firstIds: string[] = [];

async function runTask(): Promise<string> {
  const body = taskRequest(MODEL, { max_tokens: TOKENS_PER_TASK, ctx: 512 });
  if (firstIds.length < 50) firstIds.push(body.task_id as string);
  const accepted = await orch.api("/v2/tasks", { method: "POST", body: JSON.stringify(body) });
  if (accepted.status !== 202) throw new Error(`admission: ${accepted.status} ${await accepted.text()}`);
  await accepted.body?.cancel();
  const res = await orch.api(`/v2/tasks/${body.task_id}/events`);
  if (!res.ok || res.body === null) throw new Error(`events: ${res.status}`);
  let last = "";
  for await (const event of readSseEvents(res.body)) last = event.event;
  return last;
}

async function runTasks(n: number): Promise<Map<string, number>> {
  const outcomes = new Map<string, number>();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) {
        next++;
        const last = await runTask();
        outcomes.set(last, (outcomes.get(last) ?? 0) + 1);
      }
    }),
  );
  return outcomes;
}

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

async function settledMemory(): Promise<NodeJS.MemoryUsage> {
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 50));
    gc();
  }
  return process.memoryUsage();
}

beforeAll(async () => {
  // log_level warn: the harness keeps every log line in an array (that would be the test's growth, not ours).
  // A short session TTL: sessions are metadata kept for their TTL by design; the test checks expired ones go.
  orch = await startTestOrchestrator({ log_level: "warn", admission_capacity: 10_000, session_ttl_ms: SESSION_TTL_MS });
  node = await startFastNode(orch.url, orch.token);
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const nodes = NodeListResponseSchema.parse(await (await orch.api("/v2/nodes")).json()).nodes;
    if (nodes[0]?.status === "Online" && nodes[0].pools[0]?.ready) break;
    await new Promise((r) => setTimeout(r, 50));
  }
}, 20_000);

afterAll(async () => {
  await node?.stop();
  await orch?.close();
});

describe("memory after 10,000 tasks", () => {
  it("keeps a bounded task history and no per-task listener, timer or map entry once tasks finish", async () => {
    const started = performance.now();
    const warm = await runTasks(WARMUP);
    expect(warm.get("end")).toBe(WARMUP);
    const warmMemory = await settledMemory();
    const afterWarmup = warmMemory.heapUsed;
    const rest = await runTasks(TASKS - WARMUP);
    expect(rest.get("end")).toBe(TASKS - WARMUP);
    // Ids of finished tasks evicted from memory: the journal's unique key refuses them (409) after the
    // enqueue; the undone admission must leave nothing behind either.
    for (const taskId of firstIds) {
      const res = await orch.api("/v2/tasks", { method: "POST", body: JSON.stringify(taskRequest(MODEL, { task_id: taskId, max_tokens: 1 })) });
      expect(res.status).toBe(409);
      await res.body?.cancel();
    }
    // Dashboard trailing frames (250 ms) have fired.
    await new Promise((r) => setTimeout(r, 300));
    const endMemory = await settledMemory();
    const afterAll = endMemory.heapUsed;
    const stats = orch.orchestrator.taskMemory();
    const growth = afterAll - afterWarmup;
    const mb = (b: number) => (b / 1048576).toFixed(2);
    console.log(`task memory: ${TASKS} tasks in ${Math.round(performance.now() - started)} ms; heap after warm-up ${mb(afterWarmup)} MB, after all ${mb(afterAll)} MB, growth ${mb(growth)} MB; external ${mb(warmMemory.external)} → ${mb(endMemory.external)} MB, arrayBuffers ${mb(warmMemory.arrayBuffers)} → ${mb(endMemory.arrayBuffers)} MB, rss ${mb(warmMemory.rss)} → ${mb(endMemory.rss)} MB; ${JSON.stringify(stats)}`);

    expect(growth).toBeLessThan(HEAP_BOUND_BYTES);
    expect(endMemory.external - warmMemory.external).toBeLessThan(NATIVE_BOUND_BYTES);
    expect(endMemory.arrayBuffers - warmMemory.arrayBuffers).toBeLessThan(NATIVE_BOUND_BYTES);
    expect(stats.tasks).toBeLessThanOrEqual(2000);
    expect(stats.finished).toBeLessThanOrEqual(2000);
    expect(stats.finished_events).toBeLessThanOrEqual(200_000);
    expect(stats.subscribers).toBe(0);
    expect(stats.on_workers).toBe(0);
    expect(stats.queued).toBe(0);
    expect(stats.running).toBe(0);
    expect(stats.fresh).toBe(0);
    expect(stats.feed_task_frames).toBe(0);
    expect(stats.feed_frame_timers).toBe(0);
    // Every task here names a session of its own and never uses it again: only those of the last TTL remain.
    expect(stats.sessions).toBeLessThan(TASKS / 2);
  }, 150_000);
});
