import type { EventEmitter } from "node:events";
import type { ErrorCode } from "../../src-shared/errors/error-codes.js";
import type { PoolSnapshot } from "../../src-shared/nodes/pool-snapshot.js";
import type { SseEmbeddingData, SseScoreData, SseErrorData, SseMetricsData, SseStartedData, SseTokenData, StopReason } from "../../src-shared/streaming/sse-events.js";
import type { PoolStatus } from "../../src-shared/worker-api/pool-status.js";
import type { WorkerInferRequest } from "../../src-shared/worker-api/worker-infer.js";

/** The `end` payload as pools produce it; the sink fills tokens_out when omitted. */
export interface TaskEndData {
  decode_ms: number;
  decode_time_ms: number;
  tokens_out?: number;
  canceled?: boolean;
  stop_reason?: StopReason;
  first_token_ms?: number;
  tokens_in?: number;
}

/** What a token event carries besides its text. */
export type TokenExtra = Pick<SseTokenData, "logprobs" | "tool_call">;

/**
 * Where a task's events go (the SSE response). Implementations enforce the order: started first,
 * then token/metrics, then exactly one of end | error; anything after the terminal event is dropped.
 */
export interface TaskEventSink {
  started(data: SseStartedData): void;
  /** `extra`: the token's logprobs or tool-call fragment, when there are any. */
  token(text: string, extra?: TokenExtra): void;
  /** One input's vector of an embedding task. */
  embedding(data: SseEmbeddingData): void;
  /** One document's relevance score of a ranking task. */
  score(data: SseScoreData): void;
  metrics(data: SseMetricsData): void;
  /** tokens_out defaults to the number of tokens this sink wrote. */
  end(data: TaskEndData): void;
  error(data: SseErrorData): void;
  readonly finished: boolean;
  readonly tokensWritten: number;
}

export interface InferTask {
  taskId: string;
  request: WorkerInferRequest;
  sink: TaskEventSink;
  /** Aborted by POST /v2/tasks/{id}/cancel or by the client going away. */
  signal: AbortSignal;
}

export type Admission = { ok: true } | { ok: false; code: ErrorCode; message: string; retryAfterMs?: number };

/** Extra facts for GET /v2/pools/{id}/diagnostics (not part of the wire status). */
import type { PoolDiagnostics } from "../../src-shared/worker-api/pool-diagnostics.js";
export type { PoolDiagnostics };

/** A pool the agent serves: a supervised llama.cpp engine, or an external engine from a handoff file. */
export interface ServingPool extends EventEmitter<{ changed: [] }> {
  readonly id: string;
  status(): PoolStatus;
  snapshot(): PoolSnapshot;
  diagnostics(): PoolDiagnostics;
  /** Whether a new task may start streaming now (checked before the SSE response opens). */
  admit(): Admission;
  /** Runs the task to its terminal event; never rejects. */
  run(task: InferTask): Promise<void>;
  /** Stop taking work; in-flight tasks may finish until the deadline, then they are aborted. Resolves when idle and stopped. */
  drain(deadlineMs: number): Promise<void>;
  /** Stops at once (in-flight tasks get an error event). */
  stop(): Promise<void>;
}
