import { z } from "zod";
import { queryIntegerJsonSchema } from "../common/query-integer.js";
import { API_VERSION } from "./api-version.js";
import { CONTRACT_COMPONENTS } from "./components.js";
import { JSON_MEDIA_TYPE, type ContentSpec, type RouteSpec } from "./route-spec.js";

// Builds an OpenAPI 3.1 document from a route table and the contract's zod schemas. Pure and
// deterministic: the same input gives byte-identical JSON, which the contract test relies on.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export interface OpenApiInfo {
  title: string;
  version?: string;
  description?: string;
}

export interface OpenApiDocument {
  openapi: "3.1.0";
  info: { title: string; version: string; description?: string; license: JsonObject };
  security: JsonObject[];
  tags: JsonObject[];
  paths: Record<string, Record<string, JsonObject>>;
  components: {
    schemas: Record<string, JsonObject>;
    securitySchemes: Record<string, JsonObject>;
    headers: Record<string, JsonObject>;
  };
}

const SCHEMA_REF_PREFIX = "#/components/schemas/";

const STATUS_TEXT: Record<number, string> = {
  400: "Invalid request", 401: "Missing or bad token", 403: "Forbidden", 404: "Not found", 405: "Method not allowed",
  409: "Conflict", 410: "Gone", 413: "Payload too large", 415: "Unsupported media type", 429: "Backpressure; retry later",
  500: "Internal error", 503: "Unavailable; retry later", 507: "Insufficient storage or memory",
};

/** A query integer is documented as the integer it reads, not as its digits-only string. */
function documentQueryIntegers(ctx: { zodSchema: unknown; jsonSchema: Record<string, unknown> }): void {
  const documented = queryIntegerJsonSchema(ctx.zodSchema);
  if (documented === undefined) return;
  for (const key of Object.keys(ctx.jsonSchema)) delete ctx.jsonSchema[key];
  Object.assign(ctx.jsonSchema, documented);
}

export function buildOpenApiDocument(
  routes: readonly RouteSpec[],
  info: OpenApiInfo,
  components: Readonly<Record<string, z.ZodType>> = CONTRACT_COMPONENTS,
): OpenApiDocument {
  const registry = z.registry<{ id: string }>();
  const idBySchema = new Map<z.ZodType, string>();
  for (const [id, schema] of Object.entries(components)) {
    if (idBySchema.has(schema)) throw new Error(`schema registered twice: ${idBySchema.get(schema)} and ${id}`);
    registry.add(schema, { id });
    idBySchema.set(schema, id);
  }
  // io "input": documents what a client may send (defaults optional, unknown keys allowed).
  const generated = z.toJSONSchema(registry, { uri: (id) => SCHEMA_REF_PREFIX + id, io: "input", unrepresentable: "any", override: documentQueryIntegers });
  const allSchemas: Record<string, JsonObject> = {};
  for (const [id, schema] of Object.entries(generated.schemas)) {
    const { $schema: _dialect, $id: _id, ...rest } = schema as JsonObject;
    allSchemas[id] = rest;
  }

  const refTo = (schema: z.ZodType, where: string): JsonObject => {
    const id = idBySchema.get(schema);
    if (id === undefined) throw new Error(`${where}: body schemas must be named in CONTRACT_COMPONENTS`);
    return { $ref: SCHEMA_REF_PREFIX + id };
  };
  const inline = (schema: z.ZodType): JsonObject => {
    const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: "input", unrepresentable: "any", metadata: z.registry(), override: documentQueryIntegers }) as JsonObject;
    return rest;
  };
  const content = (spec: ContentSpec, where: string): JsonObject => {
    const out: JsonObject = {};
    for (const [mediaType, schema] of Object.entries(spec)) out[mediaType] = schema === null ? {} : { schema: refTo(schema, `${where} ${mediaType}`) };
    return out;
  };

  const paths: Record<string, Record<string, JsonObject>> = {};
  const tags = new Set<string>();
  const operationIds = new Set<string>();
  for (const route of routes) {
    const where = `${route.method.toUpperCase()} ${route.path}`;
    if (operationIds.has(route.operationId)) throw new Error(`${where}: duplicate operationId ${route.operationId}`);
    operationIds.add(route.operationId);
    tags.add(route.tag);

    const templateParams = [...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] ?? "");
    const declared = Object.keys(route.pathParams ?? {});
    if (templateParams.join(",") !== declared.join(",")) throw new Error(`${where}: path params {${templateParams.join(",")}} vs declared ${declared.join(",")}`);

    const parameters: Json[] = [];
    for (const [name, schema] of Object.entries(route.pathParams ?? {})) parameters.push({ name, in: "path", required: true, schema: inline(schema) });
    if (route.query) {
      const q = inline(route.query);
      const props = (q["properties"] ?? {}) as JsonObject;
      const required = new Set((q["required"] ?? []) as string[]);
      for (const [name, schema] of Object.entries(props)) parameters.push({ name, in: "query", required: required.has(name), schema });
    }

    const responses: JsonObject = {};
    for (const [status, res] of Object.entries(route.responses)) {
      responses[status] = res.content === undefined
        ? { description: res.description, headers: correlationHeader() }
        : { description: res.description, headers: correlationHeader(), content: content(res.content, `${where} ${status}`) };
    }
    const errorSchema = errorSchemaOf(route);
    if (!(errorSchema in allSchemas)) throw new Error(`${where}: ${errorSchema} missing from components`);
    const errorStatuses = new Set<number>([...(route.errors ?? []), ...(route.auth ? [401, 403] : []), 500]);
    for (const status of [...errorStatuses].sort((a, b) => a - b)) {
      const headers: JsonObject = { ...correlationHeader() };
      if (status === 429) Object.assign(headers, { "Retry-After": { $ref: "#/components/headers/Retry-After" }, "X-Backoff-Ms": { $ref: "#/components/headers/X-Backoff-Ms" } });
      responses[String(status)] = {
        description: STATUS_TEXT[status] ?? "Error",
        headers,
        content: { [JSON_MEDIA_TYPE]: { schema: { $ref: SCHEMA_REF_PREFIX + errorSchema } } },
      };
    }

    const operation: JsonObject = { operationId: route.operationId, summary: route.summary, tags: [route.tag] };
    if (!route.auth) operation["security"] = [];
    if (parameters.length > 0) operation["parameters"] = parameters;
    if (route.body) operation["requestBody"] = { required: route.body.required ?? true, content: content(route.body.content, `${where} body`) };
    operation["responses"] = responses;
    if (route.sse) operation["x-sse"] = true;

    const item = (paths[route.path] ??= {});
    if (item[route.method]) throw new Error(`${where}: declared twice`);
    item[route.method] = operation;
  }

  return {
    openapi: "3.1.0",
    info: {
      title: info.title,
      version: info.version ?? API_VERSION,
      ...(info.description === undefined ? {} : { description: info.description }),
      license: { name: "GPL-3.0-or-later", identifier: "GPL-3.0-or-later" },
    },
    security: [{ bearerAuth: [] }],
    tags: [...tags].sort().map((name) => ({ name })),
    paths: sortKeys(paths),
    components: {
      schemas: reachableSchemas(allSchemas, paths),
      securitySchemes: { bearerAuth: { type: "http", scheme: "bearer", description: "LLORCH_API_TOKEN (at least 32 characters)" } },
      headers: {
        "X-Correlation-Id": { description: "Echo of the request's X-Correlation-Id, or a generated UUID", schema: { type: "string" } },
        "Retry-After": { description: "Whole seconds to wait: max(retry_after_ms / 1000, 1)", schema: { type: "integer", minimum: 1 } },
        "X-Backoff-Ms": { description: "retry_after_ms of the error envelope", schema: { type: "integer", minimum: 0 } },
      },
    },
  };
}

/** The component describing a route's error bodies. */
export function errorSchemaOf(route: RouteSpec): string {
  if (route.errorStyle === "anthropic") return "AnthropicError";
  if (route.errorStyle === "ollama") return "OllamaError";
  return route.errorStyle === "openai" ? "OpenAiError" : "ErrorEnvelope";
}

function correlationHeader(): JsonObject {
  return { "X-Correlation-Id": { $ref: "#/components/headers/X-Correlation-Id" } };
}

function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Keeps only the component schemas the paths reference, directly or through other schemas. */
function reachableSchemas(all: Record<string, JsonObject>, paths: Json): Record<string, JsonObject> {
  const seen = new Set<string>();
  const queue: string[] = [];
  const collect = (node: Json): void => {
    if (Array.isArray(node)) node.forEach(collect);
    else if (node !== null && typeof node === "object") {
      for (const [key, value] of Object.entries(node)) {
        if (key === "$ref" && typeof value === "string" && value.startsWith(SCHEMA_REF_PREFIX)) {
          const id = value.slice(SCHEMA_REF_PREFIX.length);
          if (!seen.has(id)) {
            seen.add(id);
            queue.push(id);
          }
        } else collect(value);
      }
    }
  };
  collect(paths);
  while (queue.length > 0) {
    const id = queue.shift() as string;
    const schema = all[id];
    if (schema === undefined) throw new Error(`dangling $ref to ${id}`);
    collect(schema);
  }
  return sortKeys(Object.fromEntries([...seen].map((id) => [id, all[id] as JsonObject])));
}

export const ORCHESTRATOR_API_INFO: OpenApiInfo = {
  title: "llama-orch orchestrator API",
  description: "Task admission and streaming (/v2), cluster control (nodes, pools, catalog) and the APIs existing tools speak: OpenAI (/v1), Anthropic Messages (/v1/messages) and Ollama (/api).",
};

export const WORKER_API_INFO: OpenApiInfo = {
  title: "llama-orch worker agent API",
  description: "Called by the orchestrator (and peer workers for model staging): pool status, inference dispatch, drain/reload, model inventory and transfer.",
};
