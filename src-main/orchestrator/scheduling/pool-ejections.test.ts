import { describe, expect, it } from "vitest";
import { PoolEjections, type EjectionSettings } from "./pool-ejections.js";

function setup(settings: EjectionSettings = { consecutive: 3, base_ms: 10_000, max_ms: 300_000 }) {
  const clock = { now: 1_000 };
  const wall = Date.UTC(2026, 10, 30, 8, 0, 0);
  const e = new PoolEjections(() => settings, () => clock.now, () => wall + clock.now);
  const fail = (n: number, pool = "p") => {
    let last = null as ReturnType<PoolEjections["failed"]>;
    for (let i = 0; i < n; i++) last = e.failed(pool);
    return last;
  };
  return { e, clock, fail, settings };
}

describe("PoolEjections (outlier ejection of pools failing before the first token)", () => {
  it("ejects after N failures in a row, for the base time, and says until when and why", () => {
    const { e, clock, fail } = setup();
    expect(fail(2)).toBeNull();
    expect(e.reasonFor("p", clock.now)).toBeUndefined();
    const ej = e.failed("p");
    expect(ej).toMatchObject({ pool_id: "p", duration_ms: 10_000, ejections: 1, until_ms: 11_000 });
    expect(e.reasonFor("p", clock.now)).toBe("pool ejected until 2026-11-30T08:00:11.000Z after 3 failures in a row before the first token");
    expect(e.reasonFor("p", 10_999)).toBeDefined();
    expect(e.reasonFor("p", 11_000)).toBeUndefined();
    expect(e.reasonFor("other", clock.now)).toBeUndefined();
    expect(e.status("p")).toMatchObject({ ejections: 1, until_ms: Date.UTC(2026, 10, 30, 8, 0, 11) });
  });

  it("a first token resets the count: failures must be in a row", () => {
    const { e, fail } = setup();
    expect(fail(2)).toBeNull();
    e.succeeded("p");
    expect(fail(2)).toBeNull();
    expect(e.failed("p")).not.toBeNull();
  });

  it("failures of attempts still running while the pool is out do not extend the ejection", () => {
    const { e, clock, fail } = setup();
    fail(3);
    clock.now += 5_000;
    expect(fail(5)).toBeNull();
    expect(e.reasonFor("p", clock.now)).toBeDefined();
    expect(e.status("p")?.ejections).toBe(1);
  });

  it("after an ejection one trial task decides: a failure ejects again at once, for longer (base × ejections), up to the cap", () => {
    const { e, clock } = setup({ consecutive: 3, base_ms: 10_000, max_ms: 25_000 });
    for (let i = 0; i < 3; i++) e.failed("p");
    const durations: number[] = [];
    for (let round = 0; round < 3; round++) {
      clock.now += 30_000; // past the ejection (at most 25 s), within max_ms of its end
      const ej = e.failed("p"); // the trial task fails
      durations.push(ej?.duration_ms ?? -1);
      expect(ej?.reason).toMatch(/trial task failed before the first token/);
    }
    expect(durations).toEqual([20_000, 25_000, 25_000]);
  });

  it("a trial that succeeds puts the pool back to normal: N failures again before the next ejection", () => {
    const { e, clock, fail } = setup();
    fail(3);
    clock.now += 10_000;
    e.succeeded("p");
    expect(fail(2)).toBeNull();
    // Ejected again soon after: it was ejected recently, so it stays out twice as long.
    expect(e.failed("p")?.duration_ms).toBe(20_000);
  });

  it("a first token during an ejection (the only pool that can serve a model still gets tasks) ends it", () => {
    const { e, clock, fail } = setup();
    fail(3);
    clock.now += 1_000;
    e.succeeded("p");
    expect(e.reasonFor("p", clock.now)).toBeUndefined();
    expect(e.status("p")).toBeNull();
    expect(fail(2)).toBeNull();
  });

  it("a pool that went max_ms without an ejection starts over at the base time", () => {
    const { e, clock, fail } = setup({ consecutive: 3, base_ms: 10_000, max_ms: 60_000 });
    fail(3);
    clock.now += 10_000;
    e.succeeded("p");
    clock.now += 60_001;
    expect(fail(3)?.duration_ms).toBe(10_000);
  });

  it("consecutive 0 turns it off", () => {
    const { e, fail } = setup({ consecutive: 0, base_ms: 10_000, max_ms: 60_000 });
    expect(fail(50)).toBeNull();
    expect(e.status("p")).toBeNull();
  });
});
