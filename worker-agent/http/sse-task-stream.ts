import type { Response } from "express";
import { encodeSseEvent } from "../../src-shared/streaming/sse-codec.js";
import type { SseErrorData, SseEvent, SseMetricsData, SseStartedData } from "../../src-shared/streaming/sse-events.js";
import type { TaskEndData, TaskEventSink } from "../pools/serving-pool.js";

/**
 * A task's SSE response. Each event is written (and so flushed: no compression, no buffering) as
 * it happens; the order started → (token | metrics)* → end | error is enforced here, whatever the
 * pool does, and the response ends right after the terminal event.
 */
export class SseTaskStream implements TaskEventSink {
  private opened = false;
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

  token(text: string): void {
    if (!this.ensureStarted()) return;
    this.write({ event: "token", data: { t: text, i: this.tokens } });
    this.tokens++;
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

  private open(): void {
    if (this.opened) return;
    this.opened = true;
    this.res.status(200);
    this.res.setHeader("Content-Type", "text/event-stream; charset=utf-8");
    this.res.setHeader("Cache-Control", "no-cache");
    this.res.setHeader("Connection", "keep-alive");
    this.res.setHeader("X-Accel-Buffering", "no");
    this.res.flushHeaders();
    // Small frames: Nagle would hold tokens back.
    this.res.socket?.setNoDelay(true);
  }

  private write(event: SseEvent): void {
    this.open();
    if (!this.res.writableEnded && !this.res.destroyed) this.res.write(encodeSseEvent(event));
  }

  private close(): void {
    this.done = true;
    if (!this.res.writableEnded) this.res.end();
  }
}
