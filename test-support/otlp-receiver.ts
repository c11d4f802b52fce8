import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";

// A small OTLP/HTTP traces receiver for tests: accepts what @opentelemetry/exporter-trace-otlp-http
// sends (JSON, POST /v1/traces), keeps every span with its resource's service.name, and refuses
// anything else (protobuf, other paths) with 415/404 so a wrong exporter setup fails loudly.

const AnyValueSchema = z.object({
  stringValue: z.string().optional(),
  intValue: z.union([z.number(), z.string()]).optional(),
  doubleValue: z.number().optional(),
  boolValue: z.boolean().optional(),
});
const KeyValueSchema = z.object({ key: z.string(), value: AnyValueSchema });
const SpanSchema = z.object({
  traceId: z.string().regex(/^[0-9a-f]{32}$/),
  spanId: z.string().regex(/^[0-9a-f]{16}$/),
  parentSpanId: z.string().optional(),
  name: z.string(),
  kind: z.number().int(),
  startTimeUnixNano: z.union([z.string(), z.number()]),
  endTimeUnixNano: z.union([z.string(), z.number()]),
  attributes: z.array(KeyValueSchema).default([]),
  events: z.array(z.object({ name: z.string(), attributes: z.array(KeyValueSchema).default([]) })).default([]),
  status: z.object({ code: z.number().int().optional(), message: z.string().optional() }).optional(),
});
const ExportRequestSchema = z.object({
  resourceSpans: z.array(
    z.object({
      resource: z.object({ attributes: z.array(KeyValueSchema).default([]) }).optional(),
      scopeSpans: z.array(z.object({ spans: z.array(SpanSchema).default([]) })).default([]),
    }),
  ),
});

export type AttributeValue = string | number | boolean | undefined;

export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  /** undefined for a root span. */
  parentSpanId: string | undefined;
  name: string;
  startNs: bigint;
  endNs: bigint;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client. */
  kind: number;
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  statusCode: number;
  statusMessage: string;
  attributes: Record<string, AttributeValue>;
  events: string[];
}

function value(v: z.infer<typeof AnyValueSchema>): AttributeValue {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  return v.doubleValue ?? v.boolValue;
}

const attributes = (kvs: readonly z.infer<typeof KeyValueSchema>[]) => Object.fromEntries(kvs.map((kv) => [kv.key, value(kv.value)]));

export interface OtlpReceiver {
  /** Base URL (OTEL_EXPORTER_OTLP_ENDPOINT form). */
  url: string;
  spans: ReceivedSpan[];
  /** Content types of the requests received, to check the exporter's encoding. */
  contentTypes: string[];
  close(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const contentTypes: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      contentTypes.push(req.headers["content-type"] ?? "");
      if (req.method !== "POST" || req.url !== "/v1/traces") return void res.writeHead(404).end();
      if (!(req.headers["content-type"] ?? "").startsWith("application/json")) return void res.writeHead(415).end();
      const parsed = ExportRequestSchema.safeParse(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      if (!parsed.success) return void res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ message: parsed.error.message }));
      for (const rs of parsed.data.resourceSpans) {
        const service = String(attributes(rs.resource?.attributes ?? [])["service.name"] ?? "");
        for (const ss of rs.scopeSpans) {
          for (const s of ss.spans) {
            spans.push({
              service,
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId === undefined || s.parentSpanId === "" ? undefined : s.parentSpanId,
              name: s.name,
              startNs: BigInt(s.startTimeUnixNano),
              endNs: BigInt(s.endTimeUnixNano),
              kind: s.kind,
              statusCode: s.status?.code ?? 0,
              statusMessage: s.status?.message ?? "",
              attributes: attributes(s.attributes),
              events: s.events.map((e) => e.name),
            });
          }
        }
      }
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    contentTypes,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
