import { z } from "zod";

/**
 * OpenTelemetry tracing settings, the same on the orchestrator and the worker, under the standard
 * variable names of the OTLP exporter specification. Neither endpoint set: tracing is off (a no-op).
 */
export function otelConfigFields(defaultServiceName: string) {
  return {
    otel_exporter_otlp_endpoint: z.url({ protocol: /^https?$/ }).optional().describe("OTEL_EXPORTER_OTLP_ENDPOINT — OTLP/HTTP collector base URL; spans are POSTed as JSON to `<url>/v1/traces`. Unset (and no traces endpoint): tracing off"),
    otel_exporter_otlp_traces_endpoint: z.url({ protocol: /^https?$/ }).optional().describe("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT — full OTLP/HTTP traces URL (e.g. `http://collector:4318/v1/traces`); wins over OTEL_EXPORTER_OTLP_ENDPOINT"),
    otel_service_name: z.string().min(1).max(256).default(defaultServiceName).describe(`OTEL_SERVICE_NAME — service.name of the exported spans (default ${defaultServiceName})`),
  };
}
