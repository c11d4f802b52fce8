import { ROOT_CONTEXT, SpanKind as OtelSpanKind, SpanStatusCode, trace, type Context, type Span, type TextMapGetter, type Tracer } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { NOOP_TRACING, type SpanAttributes, type SpanHandle, type SpanKind, type StartSpanOptions, type Tracing } from "./tracing.js";

export interface TracingSettings {
  /** OTEL_EXPORTER_OTLP_ENDPOINT: the collector's base URL; traces go to <it>/v1/traces. */
  otel_exporter_otlp_endpoint?: string | undefined;
  /** OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: the full traces URL; wins over the base URL. */
  otel_exporter_otlp_traces_endpoint?: string | undefined;
  /** OTEL_SERVICE_NAME. */
  otel_service_name: string;
}

/** Where spans are sent, as the OpenTelemetry exporter specification resolves the two variables; null: tracing off. */
export function tracesEndpoint(settings: TracingSettings): string | null {
  if (settings.otel_exporter_otlp_traces_endpoint !== undefined) return settings.otel_exporter_otlp_traces_endpoint;
  if (settings.otel_exporter_otlp_endpoint === undefined) return null;
  return `${settings.otel_exporter_otlp_endpoint.replace(/\/+$/, "")}/v1/traces`;
}

const SHUTDOWN_FLUSH_MS = 2000;
const KINDS: Record<SpanKind, OtelSpanKind> = { server: OtelSpanKind.SERVER, client: OtelSpanKind.CLIENT, internal: OtelSpanKind.INTERNAL };
const W3C = new W3CTraceContextPropagator();
const TRACEPARENT_GETTER: TextMapGetter<string> = {
  keys: () => ["traceparent"],
  get: (carrier, key) => (key === "traceparent" ? carrier : undefined),
};

class OtelSpan implements SpanHandle {
  readonly recording = true;
  constructor(readonly span: Span) {}

  setAttributes(attributes: SpanAttributes): void {
    this.span.setAttributes(attributes);
  }

  addEvent(name: string, attributes?: SpanAttributes): void {
    this.span.addEvent(name, attributes);
  }

  recordError(code: string, message: string): void {
    this.span.setStatus({ code: SpanStatusCode.ERROR, message: `${code}: ${message}` });
    this.span.addEvent("exception", { "exception.type": code, "exception.message": message });
    this.span.setAttribute("error.type", code);
  }

  end(atMs?: number): void {
    this.span.end(atMs);
  }

  traceparent(): string | undefined {
    const carrier: Record<string, string> = {};
    W3C.inject(trace.setSpan(ROOT_CONTEXT, this.span), carrier, { set: (c, k, v) => (c[k] = v) });
    return carrier["traceparent"];
  }
}

/**
 * Spans exported as OTLP/HTTP JSON in batches (one POST a second at most). Parents are passed
 * explicitly (no global context manager, no global provider), so two servers in one process —
 * the HOME profile, tests — keep their own service names.
 */
class OtelTracing implements Tracing {
  readonly enabled = true;
  private readonly tracer: Tracer;

  constructor(
    private readonly provider: TracerProvider,
    name: string,
  ) {
    this.tracer = provider.getTracer(name);
  }

  startSpan(name: string, options: StartSpanOptions = {}): SpanHandle {
    const span = this.tracer.startSpan(name, { kind: KINDS[options.kind ?? "internal"], ...(options.attributes !== undefined ? { attributes: options.attributes } : {}) }, parentContext(options.parent));
    return new OtelSpan(span);
  }

  /** Flushes what is buffered, but never holds a server's shutdown for long when the collector is away. */
  async shutdown(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, SHUTDOWN_FLUSH_MS);
      timer.unref();
    });
    await Promise.race([this.provider.shutdown().catch(() => undefined), bound]);
    clearTimeout(timer);
  }
}

function parentContext(parent: SpanHandle | string | undefined): Context {
  if (parent === undefined) return ROOT_CONTEXT;
  if (typeof parent === "string") return W3C.extract(ROOT_CONTEXT, parent, TRACEPARENT_GETTER);
  return parent instanceof OtelSpan ? trace.setSpan(ROOT_CONTEXT, parent.span) : ROOT_CONTEXT;
}

/** The tracer the settings ask for: the no-op unless an OTLP endpoint is configured. */
export function createTracing(settings: TracingSettings, resource: { serviceVersion: string; instanceId: string }): Tracing {
  const url = tracesEndpoint(settings);
  if (url === null) return NOOP_TRACING;
  const exporter = new OTLPTraceExporter({ url });
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ "service.name": settings.otel_service_name, "service.version": resource.serviceVersion, "service.instance.id": resource.instanceId }),
    spanProcessors: [new BatchSpanProcessor({ exporter, scheduledDelayMillis: 1000 })],
  });
  return new OtelTracing(provider, "llama-orch");
}
