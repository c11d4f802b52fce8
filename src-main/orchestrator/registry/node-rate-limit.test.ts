import { describe, expect, it } from "vitest";
import { NodeRateLimit } from "./node-rate-limit.js";

// A fake clock: the bucket's arithmetic, not time, is under test.
describe("NodeRateLimit", () => {
  it("allows a burst of perInterval, then perInterval per interval, and says how long to wait", () => {
    let now = 0;
    const limit = new NodeRateLimit(() => now);
    for (let i = 0; i < 10; i++) expect(limit.take("a", 10, 1000)).toBe(0);
    expect(limit.take("a", 10, 1000)).toBe(100);
    now += 50;
    expect(limit.take("a", 10, 1000)).toBe(50);
    now += 50;
    expect(limit.take("a", 10, 1000)).toBe(0);
    // Over 10 s at 1,000 attempts a second: at most the burst plus 10 a second get through.
    let allowed = 0;
    for (let t = 0; t < 10_000; t++) {
      now += 1;
      if (limit.take("a", 10, 1000) === 0) allowed++;
    }
    expect(allowed).toBe(100);
  });

  it("keeps each node's allowance its own, follows the interval told, and is off at 0", () => {
    let now = 0;
    const limit = new NodeRateLimit(() => now);
    for (let i = 0; i < 50; i++) limit.take("flooder", 10, 1000);
    expect(limit.take("flooder", 10, 1000)).toBeGreaterThan(0);
    expect(limit.take("honest", 10, 1000)).toBe(0);
    // A stretched interval (a large fleet): the same count per a longer interval.
    now += 1000;
    expect(limit.take("honest", 10, 4000)).toBe(0);
    for (let i = 0; i < 1000; i++) expect(limit.take("unlimited", 0, 1000)).toBe(0);
    expect(limit.size).toBe(2);
    limit.forget("flooder");
    expect(limit.size).toBe(1);
    expect(limit.take("flooder", 10, 1000)).toBe(0);
  });
});
