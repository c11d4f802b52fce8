// Property tests (fast-check) over every route of the orchestrator's route table against a real
// orchestrator: request bodies built from each route's own schema keys with hostile values, path
// params, query strings, Authorization headers, content types and cookies. Whatever arrives:
// no 500, the process keeps answering, errors are JSON, and a 4xx leaves the persisted state (every
// table but the audit trail and node events, which record refusals on purpose) exactly as it was.
import { createHash } from "node:crypto";
import { request } from "node:http";
import { join } from "node:path";
import fc from "fast-check";
import Database from "libsql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import { ORCHESTRATOR_ROUTES } from "../../src-shared/contract/orchestrator-routes.js";
import { JSON_MEDIA_TYPE, type RouteSpec } from "../../src-shared/contract/route-spec.js";
import { CreatedApiKeySchema } from "../../src-shared/dashboard/api-keys.js";
import { startTestOrchestrator, TEST_TOKEN, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";

const RUNS_PER_ROUTE = 40;
/** Tables whose rows are the orchestrator's state; audit_log and node_events record refusals by design. */
const STATE_TABLES = ["nodes", "tasks", "api_keys", "settings", "catalog_models", "dashboard_sessions", "pool_desired", "known_models", "known_model_names", "model_placements", "staging_jobs", "join_tokens"];

let orch: TestOrchestrator;
let db: Database.Database;
let inferenceKey = "";
let port = 0;
let requests = 0;
const statuses = new Map<number, number>();

function snapshot(): string {
  const hash = createHash("sha256");
  for (const table of STATE_TABLES) hash.update(table).update(JSON.stringify(db.prepare(`SELECT * FROM ${table} ORDER BY rowid`).all()));
  return hash.digest("hex");
}

interface Reply {
  status: number;
  contentType: string;
  body: string;
}

/** node:http, not fetch: header values fetch would refuse still reach the server this way. */
function send(method: string, path: string, headers: Record<string, string>, body: string | undefined): Promise<Reply> {
  requests++;
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method: method.toUpperCase(), path, headers: { ...headers, ...(body !== undefined ? { "content-length": String(Buffer.byteLength(body)) } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers["content-type"] ?? ""), body: Buffer.concat(chunks).toString("utf8") });
      // Streams (SSE) are cut after the first bytes: the status and headers are what is checked.
      const cut = setTimeout(() => {
        res.destroy();
        done();
      }, 1500);
      res.on("data", (c: Buffer) => {
        size += c.length;
        if (size < 65_536) chunks.push(c);
        if ((res.headers["content-type"] ?? "").includes("text/event-stream")) {
          clearTimeout(cut);
          res.destroy();
          done();
        }
      });
      res.on("end", () => {
        clearTimeout(cut);
        done();
      });
      res.on("error", () => undefined);
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** undefined one time in six (a body is usually there). */
const rarely = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.oneof({ arbitrary: arb, weight: 5 }, { arbitrary: fc.constant(undefined), weight: 1 });
/** present one time in five (a foreign Origin or a broken cookie ends most requests early). */
const sometimes = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.oneof({ arbitrary: fc.constant(undefined), weight: 4 }, { arbitrary: arb, weight: 1 });
const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 80 });
const hostileString = fc.oneof(
  fc.string({ maxLength: 40 }),
  printable,
  fc.constantFrom("", " ", "..", "../../etc/passwd", "%00", "%E0%A4%A", "\u0000", "🦙", "a".repeat(5000), "sha256:" + "0".repeat(64), "hf://a/b/c.gguf", "-1", "1e309", "null", "__proto__", "constructor"),
);
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(-1, 0, 2 ** 53, Number.MAX_SAFE_INTEGER),
  fc.array(hostileString, { maxLength: 3 }),
  fc.dictionary(hostileString, hostileString, { maxKeys: 3 }),
  fc.jsonValue({ maxDepth: 3 }),
);

function shapeKeys(schema: z.ZodType | null | undefined): string[] {
  const shape = (schema as unknown as { shape?: Record<string, unknown> } | null | undefined)?.shape;
  return shape !== undefined && typeof shape === "object" ? Object.keys(shape) : [];
}

/** A body: the route's own keys with hostile values (so strict schemas look at each value), or anything at all. */
function bodyFor(route: RouteSpec): fc.Arbitrary<{ text: string | undefined; contentType: string | undefined }> {
  const keys = shapeKeys(route.body?.content[JSON_MEDIA_TYPE]);
  const keyed = keys.length > 0 ? fc.record(Object.fromEntries(keys.map((k) => [k, hostileValue])), { requiredKeys: [] }) : fc.dictionary(hostileString, hostileValue, { maxKeys: 4 });
  const json = fc.oneof(keyed, keyed, fc.jsonValue({ maxDepth: 4 }), fc.record({ [keys[0] ?? "x"]: hostileValue, unexpected_key: hostileValue })).map((v) => JSON.stringify(v));
  const raw = fc.oneof(json, json, json, printable, fc.constantFrom("{", "[1,", '{"a":1}{"b":2}', "\u0000", "[".repeat(20_000)));
  return fc.record({
    text: rarely(raw),
    contentType: fc.oneof({ arbitrary: fc.constant("application/json"), weight: 6 }, { arbitrary: fc.constantFrom(undefined, "application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded", "application/octet-stream", "multipart/form-data; boundary=x", ";;", "application/json; charset=latin1"), weight: 2 }),
  });
}

function pathFor(route: RouteSpec): fc.Arbitrary<string> {
  const params = [...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] as string);
  const value = fc.oneof(fc.stringMatching(/^[a-z0-9-]{1,24}$/), hostileString.map(encodeURIComponent), fc.constantFrom("%2e%2e", "%2F", "%00", "%E0%A4%A", "a%20b"));
  const queryKeys = shapeKeys(route.query);
  const query = fc.dictionary(queryKeys.length > 0 ? fc.oneof(fc.constantFrom(...queryKeys), hostileString) : hostileString, hostileString, { maxKeys: 3 }).map((q) => {
    const parts = Object.entries(q).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
    return parts.length > 0 ? `?${parts.join("&")}` : "";
  });
  return fc.tuple(fc.array(value, { minLength: params.length, maxLength: params.length }), fc.oneof(query, fc.constantFrom("?%", "?a=%E0%A4%A", "?&&==", ""))).map(([values, q]) => {
    let path = route.path;
    params.forEach((p, i) => (path = path.replace(`{${p}}`, values[i] ?? "x")));
    return path + q;
  });
}

/** Credentials and other headers: valid ones, wrong ones, broken ones, cookies that do not parse. */
const headersArb = fc.record({
  // Mostly valid credentials, so requests get past authentication to the schemas.
  authorization: fc.oneof(
    { arbitrary: fc.constant(`Bearer ${TEST_TOKEN}`), weight: 6 },
    { arbitrary: fc.constant("inference"), weight: 2 },
    { arbitrary: fc.constant<string | undefined>(undefined), weight: 1 },
    { arbitrary: printable.map((s) => `Bearer ${s}`), weight: 1 },
    { arbitrary: fc.constantFrom("Bearer", "Bearer  ", "Basic dXNlcjpwYXNz", "bearer llj_" + "0".repeat(64), "Bearer llo_zz", `Bearer ${TEST_TOKEN} extra`), weight: 1 },
  ),
  cookie: sometimes(fc.oneof(printable, fc.constantFrom("llorch_session_1=%E0%A4%A", "=;=;", "a=b; a=c", "llorch_session=%", `llorch_session_PORT=${"f".repeat(64)}`))),
  origin: sometimes(fc.constantFrom("null", "http://evil.example", "http://127.0.0.1")),
  extra: sometimes(fc.tuple(fc.constantFrom("x-api-key", "idempotency-key", "last-event-id", "accept", "x-forwarded-for", "range"), printable)),
});

beforeAll(async () => {
  orch = await startTestOrchestrator({ hub_base_url: "http://127.0.0.1:9" });
  port = Number(new URL(orch.url).port);
  db = new Database(join(orch.dataDir, "orchestrator.db"), { readonly: true });
  const res = await orch.api("/v2/auth/keys", { method: "POST", body: JSON.stringify({ name: "fuzz inference", scopes: ["inference"] }) });
  inferenceKey = CreatedApiKeySchema.parse(await res.json()).key;
});

afterAll(async () => {
  db.close();
  await orch.close();
  console.log(`http fuzz: ${requests} requests over ${ORCHESTRATOR_ROUTES.length} routes (${RUNS_PER_ROUTE} runs each); statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`);
});

describe("every route of the route table under generated requests", () => {
  it("never answers 500, keeps running, answers errors in JSON and changes no state on a 4xx", async () => {
    let before = snapshot();
    for (const route of ORCHESTRATOR_ROUTES) {
      await fc.assert(
        fc.asyncProperty(pathFor(route), bodyFor(route), headersArb, async (path, body, h) => {
          const headers: Record<string, string> = { host: `127.0.0.1:${port}` };
          if (h.authorization !== undefined) headers.authorization = h.authorization === "inference" ? `Bearer ${inferenceKey}` : h.authorization;
          if (h.cookie !== undefined) headers.cookie = h.cookie.replace("PORT", String(port));
          if (h.origin !== undefined) headers.origin = h.origin;
          if (h.extra !== undefined) headers[h.extra[0]] = h.extra[1];
          if (body.contentType !== undefined) headers["content-type"] = body.contentType;
          const reply = await send(route.method, path, headers, route.method === "get" ? undefined : body.text);
          statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
          const where = `${route.method.toUpperCase()} ${path} → ${reply.status} ${reply.body.slice(0, 300)}`;
          expect(reply.status, where).not.toBe(500);
          expect(reply.status, where).toBeGreaterThanOrEqual(200);
          if (reply.status >= 400 && reply.contentType.includes("json")) expect(() => JSON.parse(reply.body) as unknown, where).not.toThrow();
          const after = snapshot();
          if (reply.status >= 400 && reply.status < 500) expect(after, `state changed on ${where}`).toBe(before);
          before = after;
        }),
        { numRuns: RUNS_PER_ROUTE, seed: Number(process.env.FUZZ_SEED ?? 20261129), endOnFailure: true },
      );
    }
    expect((await orch.api("/health")).status).toBe(200);
    expect(requests).toBe(ORCHESTRATOR_ROUTES.length * RUNS_PER_ROUTE);
  }, 120_000);
});
