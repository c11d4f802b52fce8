// The tracer both servers use, behind an interface of our own: with tracing off every call hits the
// no-op below (no allocation, no OpenTelemetry code on the hot path); with it on, otel-tracing.ts
// backs it with the OpenTelemetry SDK.

export type SpanAttributeValue = string | number | boolean;
export type SpanAttributes = Readonly<Record<string, SpanAttributeValue>>;
export type SpanKind = "server" | "client" | "internal";

export interface SpanHandle {
  /** False for the no-op: callers may skip building attributes. */
  readonly recording: boolean;
  setAttributes(attributes: SpanAttributes): void;
  /** A point in time inside the span (e.g. the first token). */
  addEvent(name: string, attributes?: SpanAttributes): void;
  /** Marks the span failed: status ERROR with the message, and an exception event carrying the code. */
  recordError(code: string, message: string): void;
  /** Ends the span now, or at `atMs` (epoch ms) when its end was noted earlier and its attributes came later. */
  end(atMs?: number): void;
  /** The W3C traceparent a call made on behalf of this span carries; undefined when not recording. */
  traceparent(): string | undefined;
}

export interface StartSpanOptions {
  kind?: SpanKind;
  attributes?: SpanAttributes;
  /** A local parent span, or a remote one as a W3C traceparent header value (an invalid one is ignored). */
  parent?: SpanHandle | string | undefined;
}

export interface Tracing {
  readonly enabled: boolean;
  startSpan(name: string, options?: StartSpanOptions): SpanHandle;
  /** Exports what is still buffered; called on shutdown. */
  shutdown(): Promise<void>;
}

export const NOOP_SPAN: SpanHandle = Object.freeze({
  recording: false,
  setAttributes: () => {},
  addEvent: () => {},
  recordError: () => {},
  end: () => {},
  traceparent: () => undefined,
});

export const NOOP_TRACING: Tracing = Object.freeze({
  enabled: false,
  startSpan: () => NOOP_SPAN,
  shutdown: async () => {},
});
