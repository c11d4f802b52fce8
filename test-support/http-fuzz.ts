// Generators and a raw client for the HTTP property tests (src-main/orchestrator/http-fuzz.int.test.ts,
// worker-agent/http/http-fuzz.int.test.ts): requests built from a route table's own schema keys with
// hostile values, broken encodings, and valid, wrong and malformed credentials, headers and cookies.
import { request } from "node:http";
import fc from "fast-check";
import type { z } from "zod";
import { JSON_MEDIA_TYPE, type RouteSpec } from "../src-shared/contract/route-spec.js";

export interface Reply {
  status: number;
  contentType: string;
  body: string;
}

/** node:http, not fetch: header values fetch would refuse still reach the server this way. */
export function send(port: number, method: string, path: string, headers: Record<string, string>, body: string | undefined): Promise<Reply> {
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
export function bodyFor(route: RouteSpec): fc.Arbitrary<{ text: string | undefined; contentType: string | undefined }> {
  const keys = shapeKeys(route.body?.content[JSON_MEDIA_TYPE]);
  const keyed = keys.length > 0 ? fc.record(Object.fromEntries(keys.map((k) => [k, hostileValue])), { requiredKeys: [] }) : fc.dictionary(hostileString, hostileValue, { maxKeys: 4 });
  const json = fc.oneof(keyed, keyed, fc.jsonValue({ maxDepth: 4 }), fc.record({ [keys[0] ?? "x"]: hostileValue, unexpected_key: hostileValue })).map((v) => JSON.stringify(v));
  const raw = fc.oneof(json, json, json, printable, fc.constantFrom("{", "[1,", '{"a":1}{"b":2}', "\u0000", "[".repeat(20_000)));
  return fc.record({
    text: rarely(raw),
    contentType: fc.oneof({ arbitrary: fc.constant("application/json"), weight: 6 }, { arbitrary: fc.constantFrom(undefined, "application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded", "application/octet-stream", "multipart/form-data; boundary=x", ";;", "application/json; charset=latin1"), weight: 2 }),
  });
}

export function pathFor(route: RouteSpec): fc.Arbitrary<string> {
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

export interface FuzzHeaders {
  authorization: string | undefined;
  cookie: string | undefined;
  origin: string | undefined;
  extra: [string, string] | undefined;
}

/**
 * Credentials and other headers; `valid` and `other` stand for the caller's two real tokens. A server
 * that rate-limits failed authentications (the worker: 100 a minute) needs a higher `validWeight`.
 */
export const headersArbWith = (validWeight: number): fc.Arbitrary<FuzzHeaders> => fc.record({
  // Mostly valid credentials, so requests get past authentication to the schemas.
  authorization: fc.oneof(
    { arbitrary: fc.constant("valid"), weight: validWeight },
    { arbitrary: fc.constant("other"), weight: 2 },
    { arbitrary: fc.constant<string | undefined>(undefined), weight: 1 },
    { arbitrary: printable.map((s) => `Bearer ${s}`), weight: 1 },
    { arbitrary: fc.constantFrom("Bearer", "Bearer  ", "Basic dXNlcjpwYXNz", "bearer llj_" + "0".repeat(64), "Bearer llo_zz", "Bearer VALID extra"), weight: 1 },
  ),
  cookie: sometimes(fc.oneof(printable, fc.constantFrom("llorch_session_1=%E0%A4%A", "=;=;", "a=b; a=c", "llorch_session=%", `llorch_session_PORT=${"f".repeat(64)}`))),
  origin: sometimes(fc.constantFrom("null", "http://evil.example", "http://127.0.0.1")),
  extra: sometimes(fc.tuple(fc.constantFrom("x-api-key", "idempotency-key", "last-event-id", "accept", "x-forwarded-for", "range"), printable)),
});

export const headersArb = headersArbWith(6);

/** The request headers for one generated case; `port` fills the cookie name and Host. */
export function headersFor(h: FuzzHeaders, port: number, tokens: { valid: string; other: string }, contentType: string | undefined): Record<string, string> {
  const headers: Record<string, string> = { host: `127.0.0.1:${port}` };
  if (h.authorization !== undefined) headers.authorization = h.authorization === "valid" ? `Bearer ${tokens.valid}` : h.authorization === "other" ? `Bearer ${tokens.other}` : h.authorization.replace("VALID", tokens.valid);
  if (h.cookie !== undefined) headers.cookie = h.cookie.replace("PORT", String(port));
  if (h.origin !== undefined) headers.origin = h.origin;
  if (h.extra !== undefined) headers[h.extra[0]] = h.extra[1];
  if (contentType !== undefined) headers["content-type"] = contentType;
  return headers;
}
