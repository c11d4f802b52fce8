import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { jsonContent, OCTET_STREAM_MEDIA_TYPE, type RouteSpec } from "../src-shared/contract/route-spec.js";
import { retryAfterSeconds } from "../src-shared/errors/error-envelope.js";
import { OrchError } from "../src-shared/errors/orch-error.js";
import { buildApp } from "./build-app.js";
import type { RouteHandlers } from "./route-context.js";

const ok = { 200: { description: "ok" } };
const routes: RouteSpec[] = [
  { method: "get", path: "/open", operationId: "open", summary: "", tag: "t", auth: false, responses: ok },
  { method: "get", path: "/v2/list", operationId: "list", summary: "", tag: "t", auth: false, query: z.object({ limit: z.coerce.number().int().min(1).optional(), state: z.enum(["a", "b"]).optional() }), responses: ok },
  { method: "get", path: "/v1/listing", operationId: "listing", summary: "", tag: "t", auth: false, query: z.object({ limit: z.coerce.number().int().min(1).optional() }), responses: ok },
  { method: "post", path: "/echo/{id}", operationId: "echo", summary: "", tag: "t", auth: true, pathParams: { id: z.string().regex(/^[a-z]+$/) }, body: { content: jsonContent(z.object({ n: z.int() })), required: true }, responses: ok },
  { method: "put", path: "/upload", operationId: "upload", summary: "", tag: "t", auth: false, body: { content: { [OCTET_STREAM_MEDIA_TYPE]: null }, required: true }, responses: ok },
  { method: "get", path: "/busy", operationId: "busy", summary: "", tag: "t", auth: false, responses: ok },
  { method: "get", path: "/v2/plain", operationId: "plain", summary: "", tag: "t", auth: false, responses: ok },
  { method: "post", path: "/v2/act", operationId: "act", summary: "", tag: "t", auth: false, responses: ok },
  { method: "post", path: "/v1/overloaded", operationId: "overloaded", summary: "", tag: "t", auth: false, errorStyle: "anthropic", responses: ok },
  { method: "post", path: "/v1/thing", operationId: "thing", summary: "", tag: "t", auth: false, errorStyle: "openai", body: { content: jsonContent(z.object({ model: z.string() })) }, responses: ok },
];

const handlers: RouteHandlers = {
  open: ({ res }) => void res.json({ ok: true }),
  list: ({ res, query }) => void res.json(query),
  listing: ({ res, query }) => void res.json(query),
  echo: ({ res, params, body, identity }) => void res.json({ id: params.id, body, who: identity.label }),
  upload: async ({ req, res, body }) => {
    let bytes = 0;
    for await (const chunk of req) bytes += (chunk as Buffer).length;
    res.json({ bytes, parsed: body === undefined });
  },
  busy: () => {
    throw new OrchError("ADMISSION_REJECT", "queue full", { retry_after_ms: 1500 });
  },
  thing: ({ res }) => void res.json({}),
  plain: ({ res }) => void res.json({ all: true }),
  act: ({ res }) => void res.json({ done: true }),
  overloaded: () => {
    throw new OrchError("POOL_UNAVAILABLE", "no pool can serve the model now", { retry_after_ms: 2000 });
  },
};

const silent = { debug: () => undefined, warn: () => undefined, error: () => undefined };
const authenticator = {
  authenticate: (req: { headers: { authorization?: string } }) => {
    if (req.headers.authorization !== "Bearer good") throw new OrchError("MISSING_TOKEN", "token required");
    return { kind: "token" as const, label: "token:abcdef", scopes: ["admin" as const], credentialId: "builtin" };
  },
};

let server: Server;
let url = "";
beforeAll(async () => {
  server = createServer(buildApp({ routes, handlers, authenticator, logger: silent, serverName: "test" }));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const json = { "content-type": "application/json", authorization: "Bearer good" };
async function call(method: string, path: string, headers: Record<string, string> = {}, body?: string | Uint8Array<ArrayBuffer>) {
  const res = await fetch(`${url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === "" ? undefined : (JSON.parse(text) as Record<string, unknown>) };
}

describe("buildApp", () => {
  it("names a query parameter the route does not know instead of dropping it (a typo, state[]=…)", async () => {
    expect(await call("GET", "/v2/list?limit=2&state=a")).toMatchObject({ status: 200, body: { limit: 2, state: "a" } });
    for (const query of ["?limt=2", "?state[]=a", "?limit=2&__proto__=1"]) {
      const res = await call("GET", `/v2/list${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body, query).toMatchObject({ code: "INVALID_PARAMS", message: expect.stringMatching(/^query\..+: not a parameter of this route \(it takes limit, state\)$/) });
    }
    // A route of the compatible surfaces without a query schema ignores one, as upstream servers do (Azure-style ?api-version).
    expect((await call("GET", "/open?api-version=2024-01-01")).status).toBe(200);
    // So does one with a query schema (GET /v1/models takes Anthropic's paging): its own parameters are still checked.
    expect(await call("GET", "/v1/listing?limit=2&api-version=2024-01-01&_=1764470000")).toMatchObject({ status: 200, body: { limit: 2 } });
    expect(await call("GET", "/v1/listing?limit=0")).toMatchObject({ status: 400, body: { code: "INVALID_PARAMS" } });
    // Nothing smuggled past the parameter a compatible route does take: a repeated one is refused (not the
    // first or the last silently), and __proto__ / constructor keys are plain ignored parameters.
    expect(await call("GET", "/v1/listing?limit=1&limit=1000")).toMatchObject({ status: 400, body: { code: "INVALID_PARAMS" } });
    expect(await call("GET", "/v1/listing?__proto__=x&constructor=y&limit=3")).toMatchObject({ status: 200, body: { limit: 3 } });
    const nested = await call("GET", "/v1/listing?__proto__[limit]=1000");
    expect({ status: nested.status, body: nested.body }).toEqual({ status: 200, body: {} });
    // One of our own /v2 routes without a query schema refuses one: `?limit=10` would otherwise answer everything as if filtered.
    expect(await call("GET", "/v2/plain")).toMatchObject({ status: 200, body: { all: true } });
    expect(await call("GET", "/v2/plain?limit=10")).toMatchObject({ status: 400, body: { code: "INVALID_PARAMS", message: "query.limit: /v2/plain takes no query parameters" } });
  });

  it("names a body field that a /v2 route without a body would ignore; no body, {} and null pass", async () => {
    const json = { "content-type": "application/json" };
    for (const body of [undefined, "", "  ", "{}", "{ }", "null"]) expect(await call("POST", "/v2/act", json, body)).toMatchObject({ status: 200, body: { done: true } });
    expect(await call("POST", "/v2/act", json, JSON.stringify({ ttl_ms: 60_000 }))).toMatchObject({ status: 400, body: { code: "INVALID_PARAMS", message: "POST /v2/act takes no request body; body.ttl_ms is not one of its parameters" } });
    expect(await call("POST", "/v2/act", {}, "[1]")).toMatchObject({ status: 400, body: { code: "INVALID_PARAMS", message: "POST /v2/act takes no request body; it was sent one" } });
    expect(await call("POST", "/v2/act", {}, "not json")).toMatchObject({ status: 400, body: { code: "INVALID_PARAMS" } });
    // A big one is read to its end (the connection stays usable) and named by its first key.
    const big = JSON.stringify({ reason: "x".repeat(200_000) });
    expect(await call("POST", "/v2/act", json, big)).toMatchObject({ status: 400, body: { message: "POST /v2/act takes no request body; body.reason is not one of its parameters" } });
    // Compatible surfaces keep their own peers' rules (a body-less route there ignores a body as they do).
    expect((await call("POST", "/v1/overloaded", json, JSON.stringify({ a: 1 }))).status).toBe(529);
  });

  it("logs a client that went away mid-request as a warning, not an unhandled error (a cut upload is the network's event)", async () => {
    const logged: string[] = [];
    const logger = { debug: () => undefined, warn: (_o: object, msg: string) => void logged.push(`warn ${msg}`), error: (_o: object, msg: string) => void logged.push(`error ${msg}`) };
    const cut = Object.assign(new Error("Premature close"), { code: "ERR_STREAM_PREMATURE_CLOSE" });
    const broken = new Error("a real bug");
    const app = buildApp({ routes, handlers: { ...handlers, open: () => { throw cut; }, plain: () => { throw broken; } }, authenticator, logger, serverName: "test" });
    const local = createServer(app);
    await new Promise<void>((resolve) => local.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(local.address() as AddressInfo).port}`;
    expect((await fetch(`${base}/open`)).status).toBe(400);
    expect((await fetch(`${base}/v2/plain`)).status).toBe(500);
    await new Promise((resolve) => local.close(resolve));
    // (The 500 also gets the request log's own "request failed" line.)
    expect(logged.filter((l) => l !== "warn request failed")).toEqual(["warn client went away during the request", "error unhandled error in request"]);
  });

  it("refuses to start when a route has no handler", () => {
    expect(() => buildApp({ routes, handlers: { open: handlers.open as RouteHandlers[string] }, authenticator, logger: silent, serverName: "test" })).toThrow(/no handler for routes: list, listing, echo, upload, busy, plain, act, overloaded, thing/);
  });

  it("refuses to start when an authenticated route has no resolvable scope (open routes need none)", () => {
    const requiredScopes = (r: RouteSpec): readonly "read"[] => {
      throw new Error(`${r.path}: no scope`);
    };
    expect(() => buildApp({ routes, handlers, authenticator, logger: silent, serverName: "test", requiredScopes })).toThrow(/routes without a resolvable scope:\n\/echo\/\{id\}: no scope$/);
  });

  it("answers 403 FORBIDDEN_SCOPE to a valid credential without the route's scope", async () => {
    const scoped = createServer(buildApp({ routes, handlers, authenticator: { authenticate: () => ({ kind: "token", label: "token:abcdef", scopes: ["read"], credentialId: "key:1" }) }, logger: silent, serverName: "test", requiredScopes: () => ["inference"] }));
    await new Promise<void>((resolve) => scoped.listen(0, "127.0.0.1", resolve));
    try {
      const res = await fetch(`http://127.0.0.1:${(scoped.address() as AddressInfo).port}/echo/abc`, { method: "POST", headers: json, body: '{"n":1}' });
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ code: "FORBIDDEN_SCOPE" });
    } finally {
      await new Promise<void>((resolve) => scoped.close(() => resolve()));
    }
  });

  it("authenticates, validates params and body, and passes them to the handler", async () => {
    expect((await call("POST", "/echo/abc", { "content-type": "application/json" }, '{"n":1}')).status).toBe(401);
    expect(await call("POST", "/echo/abc", json, '{"n":1}')).toMatchObject({ status: 200, body: { id: "abc", body: { n: 1 }, who: "token:abcdef" } });
    expect(await call("POST", "/echo/ABC", json, '{"n":1}')).toMatchObject({ status: 400, body: { code: "INVALID_PARAMS" } });
    expect(await call("POST", "/echo/abc", json, '{"n":"x"}')).toMatchObject({ status: 400, body: { code: "INVALID_PARAMS", message: expect.stringContaining("body.n") } });
  });

  it("answers malformed JSON 400, oversized bodies 413 and foreign media types 415", async () => {
    expect(await call("POST", "/echo/abc", json, "{ nope")).toMatchObject({ status: 400, body: { code: "MALFORMED_JSON" } });
    expect(await call("POST", "/echo/abc", json, JSON.stringify({ pad: "x".repeat(1024 * 1024 + 1) }))).toMatchObject({ status: 413, body: { code: "PAYLOAD_TOO_LARGE" } });
    expect(await call("POST", "/echo/abc", { ...json, "content-type": "text/plain" }, '{"n":1}')).toMatchObject({ status: 415, body: { code: "UNSUPPORTED_MEDIA_TYPE" } });
    expect(await call("PUT", "/upload", { "content-type": "application/json" }, "{}")).toMatchObject({ status: 415 });
    // A charset or Content-Encoding the parser does not take is the 415 of the table, not an INVALID_PARAMS 415.
    expect(await call("POST", "/echo/abc", { ...json, "content-type": "application/json; charset=latin1" }, '{"n":1}')).toMatchObject({ status: 415, body: { code: "UNSUPPORTED_MEDIA_TYPE", message: expect.stringContaining("send UTF-8") as unknown } });
    expect(await call("POST", "/echo/abc", { ...json, "content-encoding": "zstd-nope" }, '{"n":1}')).toMatchObject({ status: 415, body: { code: "UNSUPPORTED_MEDIA_TYPE" } });
    // A body that is not what its Content-Encoding says is a malformed request, named as such.
    for (const encoding of ["gzip", "deflate", "br"]) {
      expect(await call("POST", "/echo/abc", { ...json, "content-encoding": encoding }, '{"n":1}'), encoding).toMatchObject({ status: 400, body: { code: "MALFORMED_REQUEST", message: expect.stringContaining("does not decode as its Content-Encoding") as unknown } });
    }
  });

  it("hands an octet-stream route the raw request stream, beyond the JSON limit", async () => {
    const bytes = new Uint8Array(2 * 1024 * 1024 + 3);
    expect(await call("PUT", "/upload", { "content-type": OCTET_STREAM_MEDIA_TYPE }, bytes)).toMatchObject({ status: 200, body: { bytes: bytes.length, parsed: true } });
  });

  it("renders an OrchError by the error table with its back-off headers", async () => {
    const res = await call("GET", "/busy");
    expect(res).toMatchObject({ status: 429, body: { code: "ADMISSION_REJECT", retry_after_ms: 1500 } });
    expect(res.headers.get("retry-after")).toBe(String(retryAfterSeconds(1500)));
    expect(res.headers.get("x-backoff-ms")).toBe("1500");
    expect(res.headers.get("x-correlation-id")).toMatch(/.+/);
  });

  it("gives every response one request id under the names SDKs read (x-request-id: OpenAI, request-id: Anthropic), the caller's when well-formed", async () => {
    const fresh = await call("GET", "/busy");
    const id = fresh.headers.get("x-correlation-id");
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect([fresh.headers.get("x-request-id"), fresh.headers.get("request-id")]).toEqual([id, id]);
    const fromProxy = await call("GET", "/busy", { "x-request-id": "nginx-7f3a" });
    expect([fromProxy.headers.get("x-correlation-id"), fromProxy.headers.get("x-request-id"), fromProxy.headers.get("request-id")]).toEqual(["nginx-7f3a", "nginx-7f3a", "nginx-7f3a"]);
    const hostile = await call("GET", "/busy", { "x-request-id": "a b<script>" });
    expect(hostile.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("answers 404 and 405 with envelopes, OpenAI-shaped under /v1", async () => {
    expect(await call("GET", "/nope")).toMatchObject({ status: 404, body: { code: "NOT_FOUND" } });
    expect(await call("DELETE", "/open")).toMatchObject({ status: 405, body: { code: "METHOD_NOT_ALLOWED" } });
    expect(await call("GET", "/v1/thing")).toMatchObject({ status: 405, body: { error: { code: "METHOD_NOT_ALLOWED" } } });
    // The 405 names the methods the path takes (RFC 9110: an Allow header is required); a 404 has none.
    expect((await call("GET", "/v1/thing")).headers.get("allow")).toBe("POST");
    expect((await call("GET", "/nope")).headers.get("allow")).toBeNull();
    expect(await call("POST", "/v1/thing", { "content-type": "application/json" }, "{}")).toMatchObject({ status: 400, body: { error: { code: "INVALID_PARAMS", param: "model" } } });
  });

  it("answers Anthropic's clients in Anthropic's envelope under /v1 (anthropic-version sent), and a 503 as Anthropic's 529 overloaded_error with Retry-After", async () => {
    const anthropic = { "anthropic-version": "2023-06-01", "content-type": "application/json" };
    expect(await call("GET", "/v1/thing", anthropic)).toMatchObject({ status: 405, body: { type: "error", error: { type: "invalid_request_error" } } });
    expect(await call("POST", "/v1/thing", anthropic, "{}")).toMatchObject({ status: 400, body: { type: "error", error: { type: "invalid_request_error", message: expect.stringMatching(/model/) } } });
    expect(await call("GET", "/v1/nope", anthropic)).toMatchObject({ status: 404, body: { type: "error", error: { type: "not_found_error" } } });
    const overloaded = await call("POST", "/v1/overloaded");
    expect(overloaded).toMatchObject({ status: 529, body: { type: "error", error: { type: "overloaded_error", message: "no pool can serve the model now" } } });
    expect(overloaded.headers.get("retry-after")).toBe(String(retryAfterSeconds(2000)));
  });
});
