import { describe, expect, it } from "vitest";
import { SupervisorConfigSchema } from "../../src-shared/config/worker-config.js";
import { RestartPolicy, type Clock } from "./restart-policy.js";

class FakeClock implements Clock {
  t = 1_000_000;
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

const config = SupervisorConfigSchema.parse({
  initial_backoff_ms: 1000,
  max_backoff_ms: 60_000,
  jitter: 0.1,
  max_consecutive_failures: 5,
  max_restarts_in_window: 10,
  restart_window_ms: 60_000,
  circuit_open_ms: 300_000,
  stable_after_ms: 300_000,
});

describe("engine restart policy", () => {
  it("backs off exponentially from the initial delay, capped", () => {
    const policy = new RestartPolicy({ ...config, max_consecutive_failures: 100, max_restarts_in_window: 100, max_backoff_ms: 8000 }, new FakeClock(), () => 0.5);
    const delays = Array.from({ length: 6 }, () => policy.recordFailure()).map((d) => (d.kind === "restart" ? d.delayMs : -1));
    expect(delays).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
  });

  it("applies ±jitter around the delay", () => {
    const low = new RestartPolicy(config, new FakeClock(), () => 0).recordFailure();
    const high = new RestartPolicy(config, new FakeClock(), () => 0.999999).recordFailure();
    expect(low).toMatchObject({ kind: "restart", delayMs: 900 });
    expect(high.kind === "restart" && high.delayMs).toBe(1100);
  });

  it("resets the backoff after a stable ready period, not before", () => {
    const clock = new FakeClock();
    const policy = new RestartPolicy(config, clock, () => 0.5);
    policy.recordFailure();
    policy.recordReady();
    clock.advance(10_000);
    expect(policy.recordFailure()).toMatchObject({ delayMs: 2000, consecutiveFailures: 2 });
    policy.recordReady();
    clock.advance(300_000);
    expect(policy.recordFailure()).toMatchObject({ delayMs: 1000, consecutiveFailures: 1 });
  });

  it("opens the breaker after max consecutive failures, then allows one half-open trial after circuit_open_ms", () => {
    const clock = new FakeClock();
    const policy = new RestartPolicy(config, clock, () => 0.5);
    for (let i = 0; i < 4; i++) expect(policy.recordFailure().kind).toBe("restart");
    const open = policy.recordFailure();
    expect(open).toMatchObject({ kind: "circuit_open", retryAtMs: clock.t + 300_000 });
    expect(open.kind === "circuit_open" && open.reason).toMatch(/5 consecutive failures/);
    expect(policy.state).toBe("open");
    clock.advance(299_999);
    expect(policy.beginTrial()).toBe(false);
    clock.advance(1);
    expect(policy.beginTrial()).toBe(true);
    expect(policy.state).toBe("half_open");
    // A failed trial reopens at once.
    expect(policy.recordFailure()).toMatchObject({ kind: "circuit_open" });
    clock.advance(300_000);
    expect(policy.beginTrial()).toBe(true);
    policy.recordReady();
    expect(policy.state).toBe("closed");
    expect(policy.recordFailure()).toMatchObject({ kind: "restart", delayMs: 1000 });
  });

  it("treats a restart storm in the window as a reason to open, even with ready periods in between", () => {
    const clock = new FakeClock();
    const policy = new RestartPolicy({ ...config, max_restarts_in_window: 4, stable_after_ms: 1 }, clock, () => 0.5);
    for (let i = 0; i < 3; i++) {
      policy.recordReady();
      clock.advance(2000);
      expect(policy.recordFailure().kind).toBe("restart");
    }
    policy.recordReady();
    clock.advance(2000);
    const decision = policy.recordFailure();
    expect(decision.kind === "circuit_open" && decision.reason).toMatch(/4 restarts within 60000 ms/);
    // Outside the window the old restarts no longer count.
    const fresh = new RestartPolicy({ ...config, max_restarts_in_window: 2, stable_after_ms: 1 }, clock, () => 0.5);
    fresh.recordFailure();
    fresh.recordReady();
    clock.advance(61_000);
    expect(fresh.recordFailure().kind).toBe("restart");
  });
});
