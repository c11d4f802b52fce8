import { describe, expect, it } from "vitest";
import { AuthFailureLimiter } from "./auth-failure-limiter.js";
import { readCookie } from "./cookie-header.js";
import { LogRateLimiter } from "./log-rate-limiter.js";

describe("AuthFailureLimiter", () => {
  it("refuses an address past its failures in a window, with the time left, then forgives it", () => {
    let now = 1_000;
    const limiter = new AuthFailureLimiter({ maxFailures: 3, windowMs: 60_000, maxTrackedAddresses: 100 }, () => now);
    for (let i = 0; i < 3; i++) expect(limiter.recordFailure("10.0.0.1")).toEqual({ blocked: false });
    now += 10_000;
    expect(limiter.recordFailure("10.0.0.1")).toEqual({ blocked: true, retryAfterMs: 50_000 });
    expect(limiter.recordFailure("10.0.0.2")).toEqual({ blocked: false });
    now += 50_000;
    expect(limiter.recordFailure("10.0.0.1")).toEqual({ blocked: false });
  });

  it("tracks a bounded number of addresses", () => {
    const limiter = new AuthFailureLimiter({ maxFailures: 1, windowMs: 60_000, maxTrackedAddresses: 10 }, () => 0);
    for (let i = 0; i < 1000; i++) limiter.recordFailure(`10.0.${i >> 8}.${i & 255}`);
    expect(limiter.trackedAddresses).toBeLessThanOrEqual(10);
  });
});

describe("LogRateLimiter", () => {
  it("writes a few lines per key and a capped total per window, and says how many it held back", () => {
    let now = 0;
    const limiter = new LogRateLimiter({ perKey: 2, total: 3, windowMs: 60_000 }, () => now);
    expect(limiter.decide("a")).toEqual({ log: true, suppressed: 0 });
    expect(limiter.decide("a")).toEqual({ log: true, suppressed: 0 });
    expect(limiter.decide("a")).toEqual({ log: false });
    expect(limiter.decide("b")).toEqual({ log: true, suppressed: 1 });
    expect(limiter.decide("c")).toEqual({ log: false });
    now += 60_000;
    expect(limiter.decide("a")).toEqual({ log: true, suppressed: 1 });
  });
});

describe("readCookie", () => {
  it("reads a cookie and never throws on malformed percent-encoding or huge headers", () => {
    expect(readCookie("a=1; llorch_session_80=abc%20d", "llorch_session_80")).toBe("abc d");
    expect(readCookie("llorch_session_80=%E0%A4%A", "llorch_session_80")).toBeNull();
    expect(readCookie("llorch_session_80=%", "llorch_session_80")).toBeNull();
    expect(readCookie(`x=${"y".repeat(10_000)}; llorch_session_80=abc`, "llorch_session_80")).toBeNull();
    expect(readCookie(undefined, "a")).toBeNull();
    expect(readCookie("=;;;=", "a")).toBeNull();
  });
});
