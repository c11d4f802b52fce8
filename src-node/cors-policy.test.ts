import type { Request, Response } from "express";
import { describe, expect, it } from "vitest";
import { corsPolicy, EXPOSED_HEADERS } from "./cors-policy.js";

interface Outcome {
  headers: Record<string, string>;
  vary: string[];
  status: number | undefined;
  ended: boolean;
  passedOn: boolean;
  cookie: string | undefined;
}

/** Runs the policy on a request; records the headers it set, whether it answered, and the cookie left. */
function run(method: string, headers: Record<string, string>, allowLocalhost = false): Outcome {
  const out: Outcome = { headers: {}, vary: [], status: undefined, ended: false, passedOn: false, cookie: undefined };
  const req = { method, headers: { ...headers } };
  const res = {
    vary(field: string) {
      out.vary.push(field);
      return res;
    },
    hasHeader(name: string) {
      return name.toLowerCase() === "vary" ? out.vary.length > 0 : out.headers[name.toLowerCase()] !== undefined;
    },
    // The policy sets Vary itself when none is set yet (what res.vary would do), else appends through res.vary.
    setHeader(name: string, value: string) {
      if (name.toLowerCase() === "vary") out.vary.push(value);
      else out.headers[name.toLowerCase()] = value;
      return res;
    },
    status(code: number) {
      out.status = code;
      return res;
    },
    end() {
      out.ended = true;
      return res;
    },
  };
  corsPolicy({ allowedOrigins: () => ["http://app.example:3000"], allowLocalhost: () => allowLocalhost })(req as unknown as Request, res as unknown as Response, () => {
    out.passedOn = true;
  });
  out.cookie = req.headers.cookie;
  return out;
}

describe("corsPolicy", () => {
  it("answers a listed origin's preflight with 204, methods and the API's headers", () => {
    const out = run("OPTIONS", { origin: "http://app.example:3000", "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type, x-stainless-os" });
    expect(out.status).toBe(204);
    expect(out.ended).toBe(true);
    expect(out.passedOn).toBe(false);
    expect(out.headers["access-control-allow-origin"]).toBe("http://app.example:3000");
    expect(out.headers["access-control-allow-methods"]).toContain("POST");
    const allowed = (out.headers["access-control-allow-headers"] ?? "").split(", ");
    for (const h of ["authorization", "content-type", "idempotency-key", "x-api-key", "anthropic-version", "last-event-id", "traceparent", "tracestate", "x-stainless-os"]) expect(allowed).toContain(h);
    expect(out.headers["access-control-allow-credentials"]).toBeUndefined();
    expect(out.vary).toContain("Origin");
  });

  it("does not allow request headers outside the list", () => {
    const out = run("OPTIONS", { origin: "http://app.example:3000", "access-control-request-method": "POST", "access-control-request-headers": "x-evil" });
    expect(out.headers["access-control-allow-headers"]).not.toContain("x-evil");
  });

  it("echoes a listed origin on ordinary requests, exposes the headers apps read, and drops the cookie", () => {
    const out = run("POST", { origin: "http://app.example:3000", cookie: "llorch_session=abc", authorization: "Bearer x" });
    expect(out.passedOn).toBe(true);
    expect(out.status).toBeUndefined();
    expect(out.headers["access-control-allow-origin"]).toBe("http://app.example:3000");
    expect(out.headers["access-control-expose-headers"]).toBe(EXPOSED_HEADERS);
    for (const h of ["X-Task-Id", "Retry-After", "X-Request-Id", "X-Correlation-Id"]) expect(EXPOSED_HEADERS).toContain(h);
    expect(out.headers["access-control-allow-credentials"]).toBeUndefined();
    expect(out.cookie).toBeUndefined();
    expect(out.vary).toContain("Origin");
  });

  it("treats local web apps as allowed only when switched on, with the cookie dropped", () => {
    const headers = { origin: "http://localhost:5173", cookie: "llorch_session=abc" };
    expect(run("POST", headers).headers["access-control-allow-origin"]).toBeUndefined();
    const on = run("POST", headers, true);
    expect(on.headers["access-control-allow-origin"]).toBe("http://localhost:5173");
    expect(on.headers["access-control-allow-credentials"]).toBeUndefined();
    expect(on.cookie).toBeUndefined();
    expect(run("OPTIONS", { origin: "http://[::1]:8081", "access-control-request-method": "POST" }, true).status).toBe(204);
  });

  it("gives unlisted origins and same-origin requests no CORS headers and keeps their cookie", () => {
    const cases: Record<string, string>[] = [{ origin: "http://evil.example", cookie: "s=1" }, { cookie: "s=1" }];
    for (const headers of cases) {
      const out = run("OPTIONS", { ...headers, "access-control-request-method": "POST" });
      expect(out.passedOn).toBe(true);
      expect(Object.keys(out.headers).filter((h) => h.startsWith("access-control-"))).toEqual([]);
      expect(out.cookie).toBe("s=1");
      expect(out.vary).toContain("Origin");
    }
  });

  it("matches origins exactly (no prefix or port wildcard)", () => {
    for (const origin of ["http://app.example:3001", "http://app.example:3000.evil.example", "https://app.example:3000"]) {
      expect(run("GET", { origin }).headers["access-control-allow-origin"], origin).toBeUndefined();
    }
  });
});
