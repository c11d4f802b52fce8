import { describe, expect, it } from "vitest";
import { createTracing, tracesEndpoint } from "./otel-tracing.js";
import { NOOP_SPAN, NOOP_TRACING } from "./tracing.js";

describe("OTLP traces endpoint (the exporter specification's two variables)", () => {
  it("is off without either endpoint", () => {
    expect(tracesEndpoint({ otel_service_name: "s" })).toBeNull();
    expect(createTracing({ otel_service_name: "s" }, { serviceVersion: "0", instanceId: "i" })).toBe(NOOP_TRACING);
  });

  it("appends /v1/traces to the base endpoint (with or without a trailing slash)", () => {
    expect(tracesEndpoint({ otel_service_name: "s", otel_exporter_otlp_endpoint: "http://collector:4318" })).toBe("http://collector:4318/v1/traces");
    expect(tracesEndpoint({ otel_service_name: "s", otel_exporter_otlp_endpoint: "http://collector:4318/otlp/" })).toBe("http://collector:4318/otlp/v1/traces");
  });

  it("uses the traces endpoint as given, and it wins over the base endpoint", () => {
    expect(tracesEndpoint({ otel_service_name: "s", otel_exporter_otlp_endpoint: "http://a:4318", otel_exporter_otlp_traces_endpoint: "http://b:9999/custom" })).toBe("http://b:9999/custom");
  });
});

describe("tracing on", () => {
  it("spans carry W3C context: a child of an inbound traceparent keeps its trace id; an invalid one starts a new trace", async () => {
    const tracing = createTracing({ otel_service_name: "s", otel_exporter_otlp_traces_endpoint: "http://127.0.0.1:9/v1/traces" }, { serviceVersion: "0", instanceId: "i" });
    expect(tracing.enabled).toBe(true);
    const inbound = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const child = tracing.startSpan("server", { kind: "server", parent: inbound });
    expect(child.traceparent()).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-(?!b7ad6b7169203331)[0-9a-f]{16}-01$/);
    const grandchild = tracing.startSpan("inner", { parent: child });
    expect(grandchild.traceparent()?.split("-")[1]).toBe("0af7651916cd43dd8448eb211c80319c");
    const fresh = tracing.startSpan("server", { parent: "garbage" });
    expect(fresh.traceparent()).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(fresh.traceparent()?.split("-")[1]).not.toBe("0af7651916cd43dd8448eb211c80319c");
    for (const s of [grandchild, child, fresh]) s.end();
    // Nothing listens on port 9: shutdown must still settle (the export fails and is dropped).
    await tracing.shutdown();
  });

  it("the no-op span records nothing and offers no traceparent", () => {
    expect(NOOP_TRACING.startSpan("x")).toBe(NOOP_SPAN);
    expect(NOOP_SPAN.traceparent()).toBeUndefined();
    expect(NOOP_SPAN.recording).toBe(false);
  });
});
