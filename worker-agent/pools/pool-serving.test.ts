// PoolServing against its one boundary, the engine IPC (the real engine is exercised in
// agent-slots.int.test.ts): a task's slot stays taken until the engine confirms the task ended, and is
// freed exactly once whatever arrives afterwards.
import { describe, expect, it } from "vitest";
import type { SseErrorData } from "../../src-shared/streaming/sse-events.js";
import type { ParentToEngineMessage } from "../engine/engine-ipc.js";
import { createLogger } from "../logging/logger.js";
import { WorkerMetrics } from "../metrics/worker-metrics.js";
import { PoolServing } from "./pool-serving.js";
import type { InferTask, TaskEndData, TaskEventSink } from "./serving-pool.js";

class RecordingSink implements TaskEventSink {
  readonly events: string[] = [];
  ended: TaskEndData | SseErrorData | undefined;
  finished = false;
  tokensWritten = 0;
  started(): void {
    this.events.push("started");
  }
  token(): void {
    this.tokensWritten++;
    this.events.push("token");
  }
  metrics(): void {
    this.events.push("metrics");
  }
  embedding(): void {
    this.events.push("embedding");
  }
  score(): void {
    this.events.push("score");
  }
  end(data: TaskEndData): void {
    if (this.finished) return;
    this.finished = true;
    this.ended = data;
    this.events.push("end");
  }
  error(data: SseErrorData): void {
    if (this.finished) return;
    this.finished = true;
    this.ended = data;
    this.events.push("error");
  }
}

function makeServing(slots: number): { serving: PoolServing; sent: ParentToEngineMessage[] } {
  const sent: ParentToEngineMessage[] = [];
  const serving = new PoolServing(
    { poolId: "p", canServe: () => true, describe: () => "pool p is ready", startedFacts: () => ({}), engineName: "llamacpp", send: (m) => (sent.push(m), true) },
    slots,
    60_000,
    4,
    new WorkerMetrics("n", "test", () => [], () => 0),
    createLogger("silent"),
  );
  return { serving, sent };
}

function task(id: string): { task: InferTask; sink: RecordingSink; controller: AbortController } {
  const sink = new RecordingSink();
  const controller = new AbortController();
  return { task: { taskId: id, request: { task_id: id, prompt: "x", max_tokens: 8 }, sink, signal: controller.signal }, sink, controller };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe("pool serving: slot leases follow the engine", () => {
  it("a canceled running task keeps its slot until the engine's done, then frees it once", async () => {
    const { serving, sent } = makeServing(1);
    const a = task("a");
    const running = serving.run(a.task);
    await tick();
    expect(sent.map((m) => m.type)).toEqual(["infer"]);
    expect(serving.gate.free).toBe(0);
    a.controller.abort();
    expect(a.sink.ended).toMatchObject({ canceled: true });
    expect(sent.map((m) => m.type)).toEqual(["infer", "abort"]);
    // The stream has ended, but the engine still holds the sequence: the slot is not free yet.
    expect(serving.gate.free).toBe(0);
    serving.onEngineMessage({ type: "done", task_id: "a", tokens_out: 1, tokens_in: 1, decode_ms: 1, stop_reason: "canceled" });
    await running;
    expect(serving.gate.free).toBe(1);
    // A late duplicate confirmation changes nothing.
    serving.onEngineMessage({ type: "done", task_id: "a", tokens_out: 1, tokens_in: 1, decode_ms: 1, stop_reason: "canceled" });
    serving.onEngineMessage({ type: "task_failed", task_id: "a", code: "INTERNAL", message: "late" });
    expect(serving.gate.free).toBe(1);
    expect(serving.gate.busy).toBe(0);
  });

  it("a canceled waiting task never takes a slot; the running one frees it once on task_failed", async () => {
    const { serving, sent } = makeServing(1);
    const a = task("a");
    const b = task("b");
    const runningA = serving.run(a.task);
    const waitingB = serving.run(b.task);
    await tick();
    expect(serving.gate.waiting).toBe(1);
    b.controller.abort();
    await waitingB;
    expect(b.sink.ended).toMatchObject({ canceled: true });
    expect(sent.filter((m) => m.type === "infer").map((m) => (m.type === "infer" ? m.task_id : ""))).toEqual(["a"]);
    expect(serving.gate).toMatchObject({ free: 0, busy: 1, waiting: 0 });
    serving.onEngineMessage({ type: "task_failed", task_id: "a", code: "CONTEXT_TOO_LONG", message: "prompt of 5000 tokens plus max_tokens 8 is 5008 tokens, more than the 4096-token context of a slot" });
    await runningA;
    expect(a.sink.ended).toMatchObject({ code: "CONTEXT_TOO_LONG", retriable: false });
    expect(serving.gate).toMatchObject({ free: 1, busy: 0, waiting: 0 });
  });
});
