import { EventEmitter } from "node:events";
import { ERROR_CODES, type ErrorCode } from "../../src-shared/errors/error-codes.js";
import { isSha256Hex } from "../../src-shared/models/sha256.js";
import type { PoolSnapshot } from "../../src-shared/nodes/pool-snapshot.js";
import type { StopReason } from "../../src-shared/streaming/sse-events.js";
import { readSseFrames } from "../../src-shared/streaming/read-sse.js";
import type { HandoffFile } from "../../src-shared/worker-api/handoff.js";
import type { PoolState, PoolStatus } from "../../src-shared/worker-api/pool-status.js";
import type { WorkerInferRequest } from "../../src-shared/worker-api/worker-infer.js";
import type { Logger } from "../logging/logger.js";
import type { WorkerMetrics } from "../metrics/worker-metrics.js";
import type { Admission, InferTask, PoolDiagnostics, ServingPool } from "../pools/serving-pool.js";
import { SlotGate } from "../pools/slot-gate.js";
import { openAiStreamItems } from "./openai-stream.js";

const SLOT_WAIT_MS = 30_000;
const SLOT_QUEUE_LIMIT = 64;

function errorEvent(code: ErrorCode, message: string, engine: string): { code: ErrorCode; message: string; retriable: boolean; engine: string } {
  return { code, message, retriable: ERROR_CODES[code].retriable, engine };
}

/** Body for {url}/v1/completions or /v1/chat/completions, streaming. Greedy unless asked otherwise. */
export function openAiRequestBody(request: WorkerInferRequest, model: string | undefined): Record<string, unknown> {
  return {
    ...(model !== undefined ? { model } : {}),
    ...(request.messages !== undefined ? { messages: request.messages } : { prompt: request.prompt ?? "", ...(request.suffix !== undefined ? { suffix: request.suffix } : {}) }),
    max_tokens: request.max_tokens,
    temperature: request.temperature ?? 0,
    ...(request.top_p !== undefined ? { top_p: request.top_p } : {}),
    ...(request.top_k !== undefined ? { top_k: request.top_k } : {}),
    // OpenAI's penalties and logit_bias; min_p and the repeat penalty as llama.cpp's server names them.
    ...(request.min_p !== undefined ? { min_p: request.min_p } : {}),
    ...(request.repeat_penalty !== undefined ? { repeat_penalty: request.repeat_penalty } : {}),
    ...(request.repeat_last_n !== undefined ? { repeat_last_n: request.repeat_last_n } : {}),
    ...(request.frequency_penalty !== undefined ? { frequency_penalty: request.frequency_penalty } : {}),
    ...(request.presence_penalty !== undefined ? { presence_penalty: request.presence_penalty } : {}),
    ...(request.logit_bias !== undefined ? { logit_bias: request.logit_bias } : {}),
    ...(request.seed !== undefined ? { seed: request.seed } : {}),
    ...(request.stop !== undefined ? { stop: request.stop } : {}),
    stream: true,
  };
}

/**
 * A pool backed by an already-running OpenAI-compatible engine announced by a handoff file.
 * Infer proxies to it and converts its chunks to our SSE events; a file that failed validation is
 * kept as a failed pool so the problem shows in status and heartbeats.
 */
export class ExternalPool extends EventEmitter<{ changed: [] }> implements ServingPool {
  private handoff: HandoffFile | undefined;
  private state: PoolState;
  private lastError: string | null;
  private readonly gate: SlotGate;
  private readonly inflight = new Set<AbortController>();

  constructor(
    readonly id: string,
    readonly filePath: string,
    handoff: HandoffFile | undefined,
    invalidReason: string | undefined,
    private readonly metrics: WorkerMetrics,
    private readonly log: Logger,
  ) {
    super();
    this.handoff = handoff;
    this.state = handoff !== undefined ? "ready" : "failed";
    this.lastError = invalidReason ?? null;
    this.gate = new SlotGate(Math.max(1, this.slotsOf(handoff)), SLOT_QUEUE_LIMIT);
  }

  /** The file changed: apply the new content (or its validation error). */
  update(handoff: HandoffFile | undefined, invalidReason: string | undefined): void {
    this.handoff = handoff;
    this.lastError = invalidReason ?? null;
    this.gate.resize(Math.max(1, this.slotsOf(handoff)));
    if (this.state !== "draining" && this.state !== "stopped") this.state = handoff !== undefined ? "ready" : "failed";
    this.emit("changed");
  }

  admit(): Admission {
    if (this.state !== "ready" || this.handoff === undefined) {
      return { ok: false, code: "POOL_UNREADY", message: `pool ${this.id} is ${this.state}${this.lastError !== null ? `: ${this.lastError}` : ""}` };
    }
    if (this.gate.free === 0 && this.gate.waiting >= SLOT_QUEUE_LIMIT) return { ok: false, code: "REPLICA_EXHAUSTED", message: "all slots busy", retryAfterMs: 500 };
    return { ok: true };
  }

  status(): PoolStatus {
    const h = this.handoff;
    const ready = this.state === "ready";
    return {
      pool_id: this.id,
      live: h !== undefined,
      ready,
      draining: this.state === "draining",
      state: this.state,
      slots_total: this.gate.total,
      slots_free: ready ? this.gate.free : 0,
      engine: h?.engine ?? "external",
      engine_version: h?.engine_version ?? "",
      device_mask: h?.device_mask ?? "external",
      vram_free_bytes: 0,
      model: this.loadedModel(),
      last_error: this.lastError,
      restarts: 0,
    };
  }

  snapshot(): PoolSnapshot {
    const s = this.status();
    const model = this.loadedModel();
    return {
      pool_id: this.id,
      ready: s.ready,
      draining: s.draining,
      slots_free: s.slots_free,
      slots_total: s.slots_total,
      vram_free_bytes: 0,
      engine: s.engine,
      ...(s.engine_version !== "" ? { engine_version: s.engine_version } : {}),
      device_mask: s.device_mask,
      models_available: model !== null ? [model.sha256] : [],
      ...(model !== null ? { model } : {}),
      last_error: s.last_error,
      state: s.state,
    };
  }

  diagnostics(): PoolDiagnostics {
    return {
      pool_id: this.id,
      kind: "external",
      state: this.state,
      engine_pid: this.handoff?.pid ?? null,
      circuit: "closed",
      consecutive_failures: 0,
      restarts: 0,
      slots_busy: this.gate.busy,
      slots_waiting: this.gate.waiting,
      model_path: typeof this.handoff?.model?.path === "string" ? this.handoff.model.path : null,
      last_exit: null,
      source: `handoff ${this.filePath}`,
    };
  }

  async run(task: InferTask): Promise<void> {
    const { sink, signal } = task;
    const handoff = this.handoff;
    const engine = handoff?.engine ?? "external";
    sink.started({ queue_position: this.gate.free > 0 ? 0 : this.gate.waiting + 1, predicted_start_ms: 0, task_id: task.taskId, pool_id: this.id, engine });
    if (handoff === undefined) return sink.error(errorEvent("POOL_UNREADY", `pool ${this.id} has no engine`, engine));
    const acquired = await this.gate.acquire(signal, SLOT_WAIT_MS);
    if (!acquired.ok) {
      if (acquired.reason === "aborted") sink.end({ decode_ms: 0, decode_time_ms: 0, canceled: true, stop_reason: "canceled" });
      else sink.error(errorEvent(acquired.reason === "closed" ? "POOL_UNREADY" : "REPLICA_EXHAUSTED", acquired.detail ?? `no free slot (${acquired.reason})`, engine));
      return;
    }
    const upstream = new AbortController();
    const onAbort = (): void => upstream.abort();
    signal.addEventListener("abort", onAbort, { once: true });
    this.inflight.add(upstream);
    const started = performance.now();
    let firstTokenAt: number | undefined;
    let stopReason: StopReason = "stop";
    try {
      const path = task.request.messages !== undefined ? "/v1/chat/completions" : "/v1/completions";
      const base = handoff.url.replace(/\/+$/, "").replace(/\/v1$/, "");
      const response = await fetch(`${base}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "text/event-stream" },
        body: JSON.stringify(openAiRequestBody(task.request, typeof handoff.model?.id === "string" ? handoff.model.id : undefined)),
        signal: upstream.signal,
      });
      if (!response.ok || response.body === null) {
        const text = await response.text().catch(() => "");
        sink.error(errorEvent("WORKER_RESET", `external engine answered HTTP ${response.status}: ${text.slice(0, 200)}`, engine));
        return;
      }
      let finished = false;
      for await (const frame of readSseFrames(response.body)) {
        for (const item of openAiStreamItems(frame)) {
          if (item.kind === "text" && !signal.aborted) {
            firstTokenAt ??= performance.now();
            sink.token(item.text);
            this.metrics.tokensOut.inc({ pool_id: this.id });
          } else if (item.kind === "finish") stopReason = item.reason;
          else if (item.kind === "done") finished = true;
          else if (item.kind === "invalid") this.log.warn({ detail: item.detail }, "ignoring an invalid chunk from the external engine");
        }
        if (finished) break;
      }
      const now = performance.now();
      const decodeMs = Math.round(now - (firstTokenAt ?? now));
      sink.end({ decode_ms: decodeMs, decode_time_ms: decodeMs, stop_reason: stopReason, ...(firstTokenAt !== undefined ? { first_token_ms: Math.round(firstTokenAt - started) } : {}) });
      this.metrics.inferRequests.inc({ pool_id: this.id, outcome: "ok" });
    } catch (error) {
      if (signal.aborted) {
        sink.end({ decode_ms: 0, decode_time_ms: 0, canceled: true, stop_reason: "canceled" });
        this.metrics.inferRequests.inc({ pool_id: this.id, outcome: "canceled" });
      } else {
        sink.error(errorEvent("WORKER_RESET", `external engine failed: ${error instanceof Error ? error.message : String(error)}`, engine));
        this.metrics.inferRequests.inc({ pool_id: this.id, outcome: "error" });
      }
    } finally {
      signal.removeEventListener("abort", onAbort);
      this.inflight.delete(upstream);
      acquired.lease.release();
      if (this.inflight.size === 0) this.emit("changed");
    }
  }

  async drain(deadlineMs: number): Promise<void> {
    this.state = "draining";
    this.emit("changed");
    this.gate.failWaiters("closed", `pool ${this.id} is draining`);
    const until = Date.now() + deadlineMs;
    while (this.inflight.size > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    for (const controller of this.inflight) controller.abort();
    this.state = "stopped";
    this.emit("changed");
  }

  async stop(): Promise<void> {
    this.gate.failWaiters("closed", `pool ${this.id} detached`);
    for (const controller of this.inflight) controller.abort();
    this.state = "stopped";
  }

  private slotsOf(handoff: HandoffFile | undefined): number {
    return handoff?.slots_total ?? handoff?.slots ?? 1;
  }

  private loadedModel(): { sha256: string; name: string } | null {
    const model = this.handoff?.model;
    if (model?.sha256 === undefined || !isSha256Hex(model.sha256)) return null;
    return { sha256: model.sha256, name: model.id ?? model.path ?? model.sha256 };
  }
}
