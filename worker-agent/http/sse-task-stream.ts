import type { Response } from "express";
import { openSse, type SseWriter } from "../../src-node/sse-writer.js";
import { encodeSseEvent } from "../../src-shared/streaming/sse-codec.js";
import type { SseEmbeddingData, SseScoreData, SseErrorData, SseEvent, SseMetricsData, SseStartedData } from "../../src-shared/streaming/sse-events.js";
import { WORKER_TASK_KEEP_ALIVE_MS } from "../../src-shared/worker-api/task-stream-keep-alive.js";
import type { TaskEndData, TaskEventSink, TokenExtra } from "../pools/serving-pool.js";

/**
 * A task's SSE response. Each event is written (and so flushed: no compression, no buffering) as
 * it happens; the order started → (token | metrics)* → end | error is enforced here, whatever the
 * pool does, and the response ends right after the terminal event. The response is opened on the
 * first event, so a refusal before it can still be a JSON error.
 * While open it carries a keep-alive comment every second, so the orchestrator can tell a silent
 * path (it gives up after `worker_stream_idle_ms`) from a slow task.
 */
export class SseTaskStream implements TaskEventSink {
  private writer: SseWriter | undefined;
  private sawStarted = false;
  private done = false;
  private tokens = 0;

  constructor(private readonly res: Response) {}

  get finished(): boolean {
    return this.done;
  }

  get tokensWritten(): number {
    return this.tokens;
  }

  started(data: SseStartedData): void {
    if (this.sawStarted || this.done) return;
    this.sawStarted = true;
    this.write({ event: "started", data });
  }

  token(text: string, extra?: TokenExtra): void {
    if (!this.ensureStarted()) return;
    this.write({ event: "token", data: extra === undefined ? { t: text, i: this.tokens } : { t: text, i: this.tokens, ...extra } });
    this.tokens++;
  }

  embedding(data: SseEmbeddingData): void {
    if (!this.ensureStarted()) return;
    this.write({ event: "embedding", data });
  }

  score(data: SseScoreData): void {
    if (!this.ensureStarted()) return;
    this.write({ event: "score", data });
  }

  metrics(data: SseMetricsData): void {
    if (!this.ensureStarted()) return;
    this.write({ event: "metrics", data });
  }

  end(data: TaskEndData): void {
    if (!this.ensureStarted()) return;
    this.write({ event: "end", data: { ...data, tokens_out: data.tokens_out ?? this.tokens } });
    this.close();
  }

  error(data: SseErrorData): void {
    if (!this.ensureStarted()) return;
    this.write({ event: "error", data });
    this.close();
  }

  private ensureStarted(): boolean {
    if (this.done) return false;
    if (!this.sawStarted) this.started({ queue_position: 0, predicted_start_ms: 0 });
    return true;
  }

  private write(event: SseEvent): void {
    this.writer ??= openSse(this.res, {}, { keepAliveMs: WORKER_TASK_KEEP_ALIVE_MS });
    this.writer.write(encodeSseEvent(event));
  }

  private close(): void {
    this.done = true;
    if (this.writer !== undefined) this.writer.close();
    else if (!this.res.writableEnded) this.res.end();
  }
}
