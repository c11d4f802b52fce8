import { EventEmitter } from "node:events";
import { ERROR_CODES, type ErrorCode } from "../../src-shared/errors/error-codes.js";
import { pickGeneration } from "../../src-shared/tasks/generation.js";
import type { SseStartedData } from "../../src-shared/streaming/sse-events.js";
import type { EngineDoneMessage, EngineToParentMessage, ParentToEngineMessage } from "../engine/engine-ipc.js";
import type { Logger } from "../logging/logger.js";
import type { WorkerMetrics } from "../metrics/worker-metrics.js";
import type { Admission, InferTask } from "./serving-pool.js";
import { SlotGate, type SlotLease } from "./slot-gate.js";

export const ENGINE = "llamacpp";

export function errorEvent(code: ErrorCode, message: string): { code: ErrorCode; message: string; retriable: boolean; engine: string } {
  return { code, message, retriable: ERROR_CODES[code].retriable, engine: ENGINE };
}

/** What serving needs to know about the rest of the pool. */
export interface ServingHost {
  readonly poolId: string;
  /** The pool is ready and has an engine. */
  canServe(): boolean;
  /** "pool x is <state>[: last error]" for refusals. */
  describe(): string;
  /** model / engine_version for the `started` event. */
  startedFacts(): Pick<SseStartedData, "model" | "engine_version">;
  /** What runs the model, for `started` and error events ("llamacpp" or "llama-server"). */
  readonly engineName: string;
  send(message: ParentToEngineMessage): boolean;
}

interface InFlight {
  task: InferTask;
  lease: SlotLease;
  startedAt: number;
  canceled: boolean;
  finish: () => void;
}

type Outcome = "ok" | "canceled" | "error";

/**
 * The serving half of a pool: slots (SlotGate), in-flight tasks, run and cancel, and the engine's
 * token / done / task_failed messages turned into SSE events. It knows nothing about the engine
 * process beyond `send`.
 */
export class PoolServing {
  readonly gate: SlotGate;
  private readonly inflight = new Map<string, InFlight>();
  private readonly idleSignal = new EventEmitter<{ idle: [] }>();
  private tokensPerSecond: number | undefined;

  constructor(
    private readonly host: ServingHost,
    slots: number,
    private readonly slotWaitMs: number,
    private readonly slotQueueLimit: number,
    private readonly metrics: WorkerMetrics,
    private readonly log: Logger,
  ) {
    this.gate = new SlotGate(slots, slotQueueLimit);
  }

  /** Smoothed decode throughput, for placement's predictions. */
  get throughput(): number | undefined {
    return this.tokensPerSecond;
  }

  admit(): Admission {
    if (!this.host.canServe()) return { ok: false, code: "POOL_UNREADY", message: this.host.describe(), retryAfterMs: 1000 };
    if (this.gate.free === 0 && this.gate.waiting >= this.slotQueueLimit) {
      return { ok: false, code: "REPLICA_EXHAUSTED", message: `pool ${this.host.poolId}: all ${this.gate.total} slots busy and ${this.gate.waiting} tasks waiting`, retryAfterMs: 500 };
    }
    return { ok: true };
  }

  async run(task: InferTask): Promise<void> {
    const { sink, signal } = task;
    const startedAt = performance.now();
    sink.started({
      queue_position: this.gate.free > 0 && this.gate.waiting === 0 ? 0 : this.gate.waiting + 1,
      predicted_start_ms: 0,
      task_id: task.taskId,
      pool_id: this.host.poolId,
      engine: this.host.engineName,
      ...this.host.startedFacts(),
    });
    const acquired = await this.gate.acquire(signal, this.slotWaitMs);
    this.metrics.slotWaitMs.observe({ pool_id: this.host.poolId }, performance.now() - startedAt);
    if (!acquired.ok) {
      if (acquired.reason === "aborted") {
        sink.end({ decode_ms: 0, decode_time_ms: 0, canceled: true, stop_reason: "canceled" });
        this.countOutcome("canceled");
      } else if (acquired.reason === "closed") {
        sink.error(errorEvent(acquired.detail?.includes("crash") === true ? "ENGINE_CRASHED" : "POOL_UNREADY", acquired.detail ?? "pool closed"));
        this.countOutcome("error");
      } else {
        sink.error({ ...errorEvent("REPLICA_EXHAUSTED", `no free slot within ${this.slotWaitMs} ms`), retry_after_ms: 500 });
        this.countOutcome("error");
      }
      return;
    }
    if (!this.host.canServe()) {
      acquired.lease.release();
      sink.error(errorEvent("POOL_UNREADY", this.host.describe()));
      this.countOutcome("error");
      return;
    }
    await new Promise<void>((finish) => {
      const entry: InFlight = { task, lease: acquired.lease, startedAt, canceled: false, finish };
      this.inflight.set(task.taskId, entry);
      const onAbort = (): void => this.cancel(entry);
      signal.addEventListener("abort", onAbort, { once: true });
      const sent = this.host.send({ type: "infer", task_id: task.taskId, ...pickGeneration(task.request) });
      if (!sent) this.finish(entry, () => sink.error(errorEvent("ENGINE_CRASHED", "engine is not reachable")), "error");
      else if (signal.aborted) onAbort();
    });
  }

  onEngineMessage(message: EngineToParentMessage): void {
    switch (message.type) {
      case "token": {
        const entry = this.inflight.get(message.task_id);
        this.metrics.tokensGenerated.inc({ pool_id: this.host.poolId });
        if (entry === undefined || entry.canceled || entry.task.sink.finished) return;
        // A plain text token (the hot path) needs no extras object.
        if (message.logprobs === undefined && message.tool_call === undefined) entry.task.sink.token(message.t);
        else entry.task.sink.token(message.t, { ...(message.logprobs !== undefined ? { logprobs: message.logprobs } : {}), ...(message.tool_call !== undefined ? { tool_call: message.tool_call } : {}) });
        this.metrics.tokensOut.inc({ pool_id: this.host.poolId });
        return;
      }
      case "embedding": {
        const entry = this.inflight.get(message.task_id);
        if (entry === undefined || entry.canceled || entry.task.sink.finished) return;
        entry.task.sink.embedding({ index: message.index, embedding: message.embedding, tokens: message.tokens });
        return;
      }
      case "score": {
        const entry = this.inflight.get(message.task_id);
        if (entry === undefined || entry.canceled || entry.task.sink.finished) return;
        entry.task.sink.score({ index: message.index, score: message.score, tokens: message.tokens });
        return;
      }
      case "done":
        this.onDone(message);
        return;
      case "prompt": {
        const entry = this.inflight.get(message.task_id);
        if (entry === undefined || entry.canceled || entry.task.sink.finished) return;
        entry.task.sink.metrics({ tokens_in: message.tokens_in });
        return;
      }
      case "task_failed": {
        const entry = this.inflight.get(message.task_id);
        if (entry !== undefined) this.finish(entry, () => entry.task.sink.error(errorEvent(message.code, message.message)), "error");
        return;
      }
      default:
        return;
    }
  }

  /** Refuses every waiter; `detail` mentioning "crash" makes theirs ENGINE_CRASHED. */
  closeWaiters(detail: string): void {
    this.gate.failWaiters("closed", detail);
  }

  /** Ends every in-flight task with an error event (the engine is gone or the pool stops). */
  failInFlight(code: ErrorCode, message: string, abortInEngine = false): void {
    for (const entry of [...this.inflight.values()]) {
      if (abortInEngine) this.host.send({ type: "abort", task_id: entry.task.taskId });
      this.finish(entry, () => entry.task.sink.error(errorEvent(code, message)), "error");
    }
  }

  /** Resolves when nothing is in flight, or after deadlineMs. */
  waitIdle(deadlineMs: number): Promise<void> {
    if (this.inflight.size === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.idleSignal.off("idle", done);
        resolve();
      };
      const timer = setTimeout(done, deadlineMs);
      this.idleSignal.on("idle", done);
    });
  }

  private onDone(message: EngineDoneMessage): void {
    const entry = this.inflight.get(message.task_id);
    if (entry === undefined) return;
    this.recordThroughput(message);
    this.finish(
      entry,
      () => {
        const sink = entry.task.sink;
        // The engine's count of generated tokens: a token message can carry several, a control token none.
        const tokensOut = Math.max(message.tokens_out, sink.tokensWritten);
        if (message.decode_ms > 0) sink.metrics({ tokens_out: tokensOut, tokens_per_second: Math.round((tokensOut / message.decode_ms) * 10000) / 10 });
        sink.end({
          tokens_out: tokensOut,
          decode_ms: message.decode_ms,
          decode_time_ms: message.decode_ms,
          stop_reason: message.stop_reason,
          tokens_in: message.tokens_in,
          ...(message.first_token_ms !== undefined ? { first_token_ms: message.first_token_ms } : {}),
          ...(message.stop_reason === "canceled" ? { canceled: true } : {}),
          ...(message.context_full === true ? { context_full: true } : {}),
          ...(message.stop_sequence !== undefined ? { stop_sequence: message.stop_sequence } : {}),
        });
      },
      message.stop_reason === "canceled" ? "canceled" : "ok",
    );
    if (message.first_token_ms !== undefined) this.metrics.firstTokenMs.observe({ pool_id: this.host.poolId }, message.first_token_ms);
    this.metrics.decodeMs.observe({ pool_id: this.host.poolId }, message.decode_ms);
  }

  private cancel(entry: InFlight): void {
    if (entry.canceled || entry.task.sink.finished) return;
    entry.canceled = true;
    // The engine stops at its next token; the slot frees when it confirms (done) or dies.
    this.host.send({ type: "abort", task_id: entry.task.taskId });
    entry.task.sink.end({ decode_ms: 0, decode_time_ms: 0, canceled: true, stop_reason: "canceled" });
    this.countOutcome("canceled");
    this.log.info({ task_id: entry.task.taskId, tokens_out: entry.task.sink.tokensWritten }, "task canceled");
  }

  private finish(entry: InFlight, writeTerminal: () => void, outcome: Outcome): void {
    if (!this.inflight.has(entry.task.taskId)) return;
    this.inflight.delete(entry.task.taskId);
    if (!entry.task.sink.finished) {
      writeTerminal();
      this.countOutcome(outcome);
    }
    this.metrics.inferDurationMs.observe({ pool_id: this.host.poolId }, performance.now() - entry.startedAt);
    entry.lease.release();
    entry.finish();
    if (this.inflight.size === 0) this.idleSignal.emit("idle");
  }

  private countOutcome(outcome: Outcome): void {
    this.metrics.inferRequests.inc({ pool_id: this.host.poolId, outcome });
  }

  private recordThroughput(done: EngineDoneMessage): void {
    if (done.decode_ms <= 0 || done.tokens_out < 2) return;
    const tps = (done.tokens_out / done.decode_ms) * 1000;
    this.tokensPerSecond = this.tokensPerSecond === undefined ? tps : this.tokensPerSecond * 0.7 + tps * 0.3;
  }
}
