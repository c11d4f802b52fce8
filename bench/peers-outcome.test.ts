import { describe, expect, it } from "vitest";
import { killOutcome, portkeyLoadBalanceConfig, rescuedInFlight, type RequestResult } from "./peers-outcome.mjs";

const ok = (t0: number, t1: number): RequestResult => ({ ok: true, kind: "ok", t0, t1 });
const fail = (t0: number, t1: number, kind = "http 502"): RequestResult => ({ ok: false, kind, t0, t1 });

describe("portkeyLoadBalanceConfig", () => {
  it("targets every backend's /v1 as an OpenAI-compatible custom host with equal weights", () => {
    expect(portkeyLoadBalanceConfig(["http://127.0.0.1:1/", "http://127.0.0.1:2"])).toEqual({
      strategy: { mode: "loadbalance" },
      targets: [
        { provider: "openai", custom_host: "http://127.0.0.1:1/v1", api_key: "unused", weight: 1 },
        { provider: "openai", custom_host: "http://127.0.0.1:2/v1", api_key: "unused", weight: 1 },
      ],
    });
  });
  it("refuses an empty backend list", () => {
    expect(() => portkeyLoadBalanceConfig([])).toThrow(/no backends/);
  });
});

describe("killOutcome", () => {
  it("counts nothing lost and recovery 0 when every request succeeded; the gap runs to the window end", () => {
    const r = killOutcome([ok(0, 900), ok(950, 1100), ok(1100, 1500)], 1000, 2000);
    expect(r).toMatchObject({ requests: 3, ok: 3, lost: 0, errors: {}, in_flight_at_kill: 1, in_flight_failed: 0, recovered_ms: 0, longest_gap_ms: 500 });
  });

  it("measures recovery to the end of the last failure and counts failed in-flight requests by kind", () => {
    const results = [ok(0, 990), fail(900, 1010, "http 502"), fail(1020, 1030, "client: fetch failed"), fail(1040, 1400, "http 502"), ok(1400, 1500), ok(1500, 1600), ok(3000, 3100)];
    const r = killOutcome(results, 1000, 4000);
    expect(r.lost).toBe(3);
    expect(r.errors).toEqual({ "http 502": 2, "client: fetch failed": 1 });
    expect(r.in_flight_at_kill).toBe(1);
    expect(r.in_flight_failed).toBe(1);
    expect(r.recovered_ms).toBe(400);
    // 1600 → 3100 without a success.
    expect(r.longest_gap_ms).toBe(1500);
  });

  it("reports not recovered (null) while requests started in the final settle window still fail", () => {
    const results = [ok(0, 500), fail(1200, 1210), ok(1210, 1300), fail(3500, 3510), ok(3510, 3600)];
    expect(killOutcome(results, 1000, 4000, 1000).recovered_ms).toBeNull();
    expect(killOutcome(results, 1000, 4000, 400).recovered_ms).toBe(2510);
  });
});

describe("rescuedInFlight", () => {
  it("is the killed backend's busy slots minus the in-flight failures, clamped to 0..busy", () => {
    expect(rescuedInFlight(2, 0)).toBe(2);
    expect(rescuedInFlight(2, 1)).toBe(1);
    expect(rescuedInFlight(2, 3)).toBe(0);
    expect(rescuedInFlight(0, 0)).toBe(0);
  });
});
