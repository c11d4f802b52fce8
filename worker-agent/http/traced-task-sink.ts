import type { SpanHandle, Tracing } from "../../src-node/tracing/tracing.js";
import type { SseEmbeddingData, SseErrorData, SseMetricsData, SseScoreData, SseStartedData } from "../../src-shared/streaming/sse-events.js";
import type { TaskEndData, TaskEventSink, TokenExtra } from "../pools/serving-pool.js";

/**
 * Wraps a task's sink with the engine's two phases as spans under the infer request's span:
 * `engine.prefill` from the slot being taken (`started`) to the first token (prompt evaluation),
 * `engine.decode` from the first token to the end, with token counts. The engine runs in a child
 * process; its events reach this process in order, so the phases are timed here. Only used when
 * tracing is on: with it off the handler keeps the bare sink.
 */
export class TracedTaskSink implements TaskEventSink {
  private prefill: SpanHandle | null = null;
  private decode: SpanHandle | null = null;
  /** Prefill ends at the first token, but its input token count only arrives with the end. */
  private firstTokenAtMs: number | undefined;

  constructor(
    private readonly inner: TaskEventSink,
    private readonly tracing: Tracing,
    private readonly parent: SpanHandle,
    private readonly attributes: Readonly<Record<string, string>>,
  ) {}

  get finished(): boolean {
    return this.inner.finished;
  }

  get tokensWritten(): number {
    return this.inner.tokensWritten;
  }

  started(data: SseStartedData): void {
    this.prefill ??= this.tracing.startSpan("engine.prefill", { parent: this.parent, attributes: this.attributes });
    this.inner.started(data);
  }

  token(text: string, extra?: TokenExtra): void {
    if (this.decode === null) {
      this.prefill ??= this.tracing.startSpan("engine.prefill", { parent: this.parent, attributes: this.attributes });
      this.firstTokenAtMs = Date.now();
      this.decode = this.tracing.startSpan("engine.decode", { parent: this.parent, attributes: this.attributes });
    }
    this.inner.token(text, extra);
  }

  embedding(data: SseEmbeddingData): void {
    this.inner.embedding(data);
  }

  score(data: SseScoreData): void {
    this.inner.score(data);
  }

  metrics(data: SseMetricsData): void {
    this.inner.metrics(data);
  }

  end(data: TaskEndData): void {
    const tokensOut = data.tokens_out ?? this.inner.tokensWritten;
    const prefill = this.prefill ?? this.tracing.startSpan("engine.prefill", { parent: this.parent, attributes: this.attributes });
    if (data.tokens_in !== undefined) prefill.setAttributes({ "gen_ai.usage.input_tokens": data.tokens_in });
    if (data.first_token_ms !== undefined) prefill.setAttributes({ "llorch.first_token_ms": data.first_token_ms });
    prefill.end(this.firstTokenAtMs);
    if (this.decode !== null) {
      this.decode.setAttributes({ "gen_ai.usage.output_tokens": tokensOut, "llorch.decode_ms": data.decode_ms, ...(data.stop_reason !== undefined ? { "llorch.stop_reason": data.stop_reason } : {}), ...(data.canceled === true ? { "llorch.canceled": true } : {}) });
      this.decode.end();
    }
    this.parent.setAttributes({ "gen_ai.usage.output_tokens": tokensOut, ...(data.tokens_in !== undefined ? { "gen_ai.usage.input_tokens": data.tokens_in } : {}) });
    this.inner.end(data);
  }

  error(data: SseErrorData): void {
    const open = this.decode ?? this.prefill;
    open?.recordError(data.code, data.message ?? "engine error");
    this.prefill?.end(this.firstTokenAtMs);
    this.decode?.end();
    this.parent.recordError(data.code, data.message ?? "engine error");
    this.inner.error(data);
  }
}
