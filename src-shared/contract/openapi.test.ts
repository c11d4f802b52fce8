import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { API_VERSION } from "./api-version.js";
import { CONTRACT_COMPONENTS } from "./components.js";
import { buildOrchestratorOpenApi, buildWorkerOpenApi, serializeOpenApi } from "./documents.js";
import { buildOpenApiDocument } from "./openapi.js";
import { ORCHESTRATOR_ROUTES } from "./orchestrator-routes.js";
import { jsonContent, type RouteSpec } from "./route-spec.js";
import { WORKER_ROUTES } from "./worker-routes.js";

function readDoc(name: string): string {
  return readFileSync(fileURLToPath(new URL(`../../docs/${name}`, import.meta.url)), "utf8");
}

const documents = [
  { file: "openapi.json", build: buildOrchestratorOpenApi, routes: ORCHESTRATOR_ROUTES },
  { file: "worker-openapi.json", build: buildWorkerOpenApi, routes: WORKER_ROUTES },
];

describe.each(documents)("$file", ({ file, build, routes }) => {
  const doc = build();

  it("is up to date with the schemas (run `npm run openapi` after changing them)", () => {
    expect(readDoc(file)).toBe(serializeOpenApi(doc));
  });

  it("is OpenAPI 3.1.0 at the API version", () => {
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info.version).toBe(API_VERSION);
  });

  it("contains every route of the table with its auth, statuses and media types", () => {
    let operations = 0;
    for (const item of Object.values(doc.paths)) operations += Object.keys(item).length;
    expect(operations).toBe(routes.length);
    for (const route of routes) {
      const op = doc.paths[route.path]?.[route.method];
      expect(op, `${route.method} ${route.path}`).toBeDefined();
      if (!op) continue;
      expect(op["operationId"]).toBe(route.operationId);
      expect(op["security"], route.path).toEqual(route.auth ? undefined : []);
      const responses = op["responses"] as Record<string, Record<string, unknown>>;
      for (const status of Object.keys(route.responses)) expect(responses[status], `${route.path} ${status}`).toBeDefined();
      if (route.auth) expect(responses["401"], route.path).toBeDefined();
      const success = Object.values(route.responses)[0];
      if (route.sse) expect(Object.keys(success?.content ?? {})).toContain("text/event-stream");
    }
  });

  it("describes every error response with the route's error schema", () => {
    for (const route of routes) {
      const responses = doc.paths[route.path]?.[route.method]?.["responses"] as Record<string, { content?: Record<string, { schema?: unknown }> }>;
      const expected = `#/components/schemas/${route.errorStyle === "anthropic" ? "AnthropicError" : route.errorStyle === "ollama" ? "OllamaError" : route.errorStyle === "openai" ? "OpenAiError" : "ErrorEnvelope"}`;
      for (const [status, res] of Object.entries(responses)) {
        if (Number(status) >= 400) expect(res.content?.["application/json"]?.schema, `${route.path} ${status}`).toEqual({ $ref: expected });
      }
    }
  });

  it("resolves every $ref", () => {
    const text = JSON.stringify(doc);
    for (const match of text.matchAll(/"\$ref":"#\/components\/(schemas|headers)\/([^"]+)"/g)) {
      const [, kind, name] = match;
      const table = kind === "schemas" ? doc.components.schemas : doc.components.headers;
      expect(table[name ?? ""], `${kind}/${name}`).toBeDefined();
    }
  });
});

describe("orchestrator document", () => {
  const doc = buildOrchestratorOpenApi();

  it("serves the spec's /v2 routes and the compatible surfaces", () => {
    for (const path of ["/v2/tasks", "/v2/tasks/{id}/events", "/v2/tasks/{id}/cancel", "/v2/sessions/{id}", "/v2/nodes/register", "/v2/nodes/{id}/heartbeat", "/v2/catalog/availability", "/v2/meta/capabilities", "/v1/models", "/v1/models/{id}", "/v1/chat/completions", "/v1/completions", "/v1/responses", "/v1/messages", "/api/tags", "/api/show", "/api/ps", "/api/version", "/api/chat", "/api/generate"]) {
      expect(doc.paths[path], path).toBeDefined();
    }
  });

  it("leaves only /health and /ready open and documents 429 backpressure headers", () => {
    const open = ORCHESTRATOR_ROUTES.filter((r) => !r.auth).map((r) => r.path);
    expect(open).toEqual(["/health", "/ready"]);
    const tooMany = (doc.paths["/v2/tasks"]?.["post"]?.["responses"] as Record<string, { headers: Record<string, unknown> }>)["429"];
    expect(Object.keys(tooMany?.headers ?? {})).toEqual(["X-Correlation-Id", "Retry-After", "X-Backoff-Ms"]);
  });

  it("keeps the request example's required fields in TaskRequestV2", () => {
    expect(doc.components.schemas["TaskRequestV2"]?.["required"]).toEqual(["task_id", "session_id", "workload", "model_ref", "engine", "ctx", "priority", "max_tokens", "deadline_ms"]);
  });
});

describe("buildOpenApiDocument", () => {
  const base: RouteSpec = { method: "get", path: "/x/{id}", operationId: "x", summary: "x", tag: "t", auth: true, pathParams: { id: z.string() }, responses: { 200: { description: "ok", content: jsonContent(CONTRACT_COMPONENTS["ErrorEnvelope"] as z.ZodType) } } };

  it("is deterministic", () => {
    expect(serializeOpenApi(buildOrchestratorOpenApi())).toBe(serializeOpenApi(buildOrchestratorOpenApi()));
  });

  it("refuses unnamed body schemas, mismatched path params and duplicate operations", () => {
    expect(() => buildOpenApiDocument([{ ...base, responses: { 200: { description: "ok", content: jsonContent(z.object({ a: z.string() })) } } }], { title: "t" })).toThrow(/CONTRACT_COMPONENTS/);
    expect(() => buildOpenApiDocument([{ ...base, pathParams: { other: z.string() } }], { title: "t" })).toThrow(/path params/);
    expect(() => buildOpenApiDocument([base, { ...base, operationId: "y" }], { title: "t" })).toThrow(/declared twice/);
    expect(() => buildOpenApiDocument([base, { ...base, path: "/y/{id}" }], { title: "t" })).toThrow(/duplicate operationId/);
  });

  it("includes only reachable component schemas", () => {
    const doc = buildOpenApiDocument([base], { title: "t" });
    expect(Object.keys(doc.components.schemas)).toEqual(["ErrorCode", "ErrorEnvelope"]);
  });
});
