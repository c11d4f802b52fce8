import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { EngineWatchdog } from "./engine-watchdog.js";

describe("EngineWatchdog", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const setup = (unresponsiveMs: number) => {
    const pings: number[] = [];
    const hung: number[] = [];
    const watchdog = new EngineWatchdog(unresponsiveMs, (ms) => hung.push(ms), () => Date.now());
    watchdog.watch({ send: (m) => pings.push(m.n) > 0 });
    return { watchdog, pings, hung };
  };

  it("pings a silent engine and reports it hung once, after the limit", () => {
    const { pings, hung } = setup(8000);
    vi.advanceTimersByTime(7999);
    expect(pings).toEqual([0, 1, 2]);
    expect(hung).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(hung).toEqual([8000]);
    vi.advanceTimersByTime(60_000);
    expect(hung).toHaveLength(1);
  });

  it("takes a longer limit for one watch (a loading engine) at the same ping rate", () => {
    const pings: number[] = [];
    const hung: number[] = [];
    const watchdog = new EngineWatchdog(4000, (ms) => hung.push(ms), () => Date.now());
    watchdog.watch({ send: (m) => pings.push(m.n) > 0 }, 16_000);
    vi.advanceTimersByTime(15_999);
    expect(hung).toEqual([]);
    expect(pings).toHaveLength(15);
    vi.advanceTimersByTime(1);
    expect(hung).toEqual([16_000]);
  });

  it("never reports an engine that keeps answering", () => {
    const { watchdog, hung } = setup(4000);
    for (let i = 0; i < 30; i++) {
      vi.advanceTimersByTime(1000);
      watchdog.seen();
    }
    expect(hung).toEqual([]);
  });

  it("stops watching on stop(), and 0 turns it off", () => {
    const { watchdog, hung, pings } = setup(4000);
    watchdog.stop();
    vi.advanceTimersByTime(60_000);
    expect([hung, pings]).toEqual([[], []]);
    const off = setup(0);
    vi.advanceTimersByTime(60_000);
    expect([off.hung, off.pings]).toEqual([[], []]);
  });
  it("does not blame the engine for the agent's own pause (a tick far late), once per silence", () => {
    let lag = 0;
    const pings: number[] = [];
    const hung: number[] = [];
    const watchdog = new EngineWatchdog(4000, (ms) => hung.push(ms), () => Date.now() + lag);
    watchdog.watch({ send: (m) => pings.push(m.n) > 0 });
    vi.advanceTimersByTime(1000);
    // The agent was stopped for 6 s: its next tick sees the clock 6 s on, the engine's pongs still unread.
    lag = 6000;
    vi.advanceTimersByTime(1000);
    expect(hung).toEqual([]);
    // The engine stays silent once the agent runs again: hung after the limit, counted from the resume.
    vi.advanceTimersByTime(3000);
    expect(hung).toEqual([]);
    vi.advanceTimersByTime(1000);
    expect(hung).toEqual([4000]);
    watchdog.stop();
  });
});
