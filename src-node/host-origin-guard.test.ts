import type { NextFunction, Request, Response } from "express";
import { describe, expect, it } from "vitest";
import { OrchError } from "../src-shared/errors/orch-error.js";
import { hostOfHeader, hostOriginGuard, type HostOriginGuardOptions } from "./host-origin-guard.js";

/** Runs the guard on a request with these headers; returns the error code it refused with, or null. */
function verdict(opts: HostOriginGuardOptions, headers: Record<string, string>): string | null {
  let outcome: unknown = "not called";
  const next: NextFunction = (err?: unknown) => {
    outcome = err;
  };
  hostOriginGuard(opts)({ headers } as unknown as Request, {} as Response, next);
  if (outcome === undefined) return null;
  if (outcome instanceof OrchError) return outcome.code;
  throw new Error(`unexpected outcome ${String(outcome)}`);
}

describe("hostOfHeader", () => {
  it("takes the host name out of every Host form", () => {
    expect(hostOfHeader("[::1]:8080")).toBe("::1");
    expect(hostOfHeader("[::1]")).toBe("::1");
    expect(hostOfHeader("[::FFFF:127.0.0.1]:80")).toBe("::ffff:127.0.0.1");
    expect(hostOfHeader("localhost:8080")).toBe("localhost");
    expect(hostOfHeader("LocalHost")).toBe("localhost");
    expect(hostOfHeader("127.0.0.2:9")).toBe("127.0.0.2");
  });

  it("rejects what is not host[:port]", () => {
    expect(hostOfHeader("[::1")).toBeUndefined();
    expect(hostOfHeader("[::1]x")).toBeUndefined();
    expect(hostOfHeader("::1")).toBeUndefined();
    expect(hostOfHeader("localhost:http")).toBeUndefined();
  });
});

describe("hostOriginGuard on a loopback bind", () => {
  const loopback = { loopbackBind: true, allowedOrigins: () => ["http://app.example"] };

  it("accepts loopback names: bracketed IPv6, localhost and 127.x, with or without port", () => {
    for (const host of ["[::1]:8080", "[::1]", "localhost:8080", "localhost", "127.0.0.1:8080", "127.1.2.3:1"]) {
      expect(verdict(loopback, { host }), host).toBeNull();
    }
  });

  it("refuses foreign and malformed Host headers (DNS rebinding)", () => {
    for (const host of ["evil.example:80", "evil.example", "[::2]:8080", "[::1", "localhost.evil.example", ""]) {
      expect(verdict(loopback, { host }), host).toBe("FORBIDDEN_HOST");
    }
    expect(verdict(loopback, {})).toBe("FORBIDDEN_HOST");
  });

  it("accepts extra host names however they are bracketed", () => {
    const opts = { loopbackBind: true, extraHosts: ["worker-a.lan", "[fd00::5]"] };
    expect(verdict(opts, { host: "worker-a.lan:9090" })).toBeNull();
    expect(verdict(opts, { host: "[fd00::5]:9090" })).toBeNull();
    expect(verdict(opts, { host: "worker-b.lan:9090" })).toBe("FORBIDDEN_HOST");
  });

  it("accepts the server's own origin and configured ones, refuses others", () => {
    expect(verdict(loopback, { host: "[::1]:8080", origin: "http://[::1]:8080" })).toBeNull();
    expect(verdict(loopback, { host: "localhost:8080", origin: "http://app.example" })).toBeNull();
    expect(verdict(loopback, { host: "localhost:8080", origin: "http://evil.example" })).toBe("FORBIDDEN_ORIGIN");
  });
});

describe("hostOriginGuard and local web apps (ORCHD_CORS_ALLOW_LOCALHOST)", () => {
  const host = "127.0.0.1:8080";
  it("refuses a local app on another port by default, naming the switch; lets it in when switched on", () => {
    let message = "";
    hostOriginGuard({ loopbackBind: true, allowedOrigins: () => [] })({ headers: { host, origin: "http://localhost:5173" } } as unknown as Request, {} as Response, (err?: unknown) => {
      message = err instanceof OrchError ? err.message : "";
    });
    expect(message).toContain("ORCHD_CORS_ALLOW_LOCALHOST=1");
    expect(verdict({ loopbackBind: true, allowedOrigins: () => [], allowLocalhost: () => true }, { host, origin: "http://localhost:5173" })).toBeNull();
    expect(verdict({ loopbackBind: true, allowedOrigins: () => [], allowLocalhost: () => true }, { host, origin: "http://evil.example" })).toBe("FORBIDDEN_ORIGIN");
  });
});

describe("hostOriginGuard on a public bind", () => {
  it("accepts any Host; checks Origin only when origins are configured", () => {
    expect(verdict({ loopbackBind: false }, { host: "orch.example:8080", origin: "http://evil.example" })).toBeNull();
    expect(verdict({ loopbackBind: false, allowedOrigins: () => [] }, { host: "orch.example:8080", origin: "http://evil.example" })).toBe("FORBIDDEN_ORIGIN");
  });
});
