import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { IdleAbort } from "./idle-abort.js";

// Fake timers and a fake clock: the idle bound counts from the last touch, whatever the timer's own schedule.
describe("IdleAbort", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("fires only after `ms` with no touch, counted from the last touch", () => {
    const idle = new IdleAbort(1000, new AbortController().signal, () => Date.now());
    vi.advanceTimersByTime(600);
    idle.touch();
    vi.advanceTimersByTime(600); // the timer fired at 1,000 ms, 400 ms after the touch, and re-armed for the 600 left
    expect(idle.signal.aborted).toBe(false);
    vi.advanceTimersByTime(399);
    expect(idle.signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(idle.signal.aborted).toBe(true);
    expect(idle.fired).toBe(true);
  });

  it("with a first-progress bound, keep-alives alone do not hold the stream past it; progress lifts the bound", () => {
    const stalled = new IdleAbort(1000, new AbortController().signal, () => Date.now(), 3500);
    for (let i = 0; i < 34; i++) {
      vi.advanceTimersByTime(100);
      stalled.touch(); // keep-alives only
    }
    expect(stalled.signal.aborted).toBe(false);
    vi.advanceTimersByTime(100);
    expect(stalled.signal.aborted).toBe(true);
    expect(stalled.stalled).toBe(true);
    expect((stalled.signal.reason as Error).message).toContain("3500 ms after it accepted");

    const served = new IdleAbort(1000, new AbortController().signal, () => Date.now(), 3500);
    vi.advanceTimersByTime(500);
    served.progress();
    for (let i = 0; i < 100; i++) {
      vi.advanceTimersByTime(100);
      served.touch();
    }
    expect(served.signal.aborted).toBe(false);
    vi.advanceTimersByTime(1000);
    expect(served.fired).toBe(true);
    expect(served.stalled).toBe(false);
  });

  it("never fires while touched, nor after stop; the parent's abort passes through", () => {
    const parent = new AbortController();
    const idle = new IdleAbort(100, parent.signal, () => Date.now());
    for (let i = 0; i < 50; i++) {
      vi.advanceTimersByTime(90);
      idle.touch();
    }
    expect(idle.signal.aborted).toBe(false);
    idle.stop();
    vi.advanceTimersByTime(10_000);
    expect(idle.fired).toBe(false);
    parent.abort(new Error("by the scheduler"));
    expect(idle.signal.aborted).toBe(true);
    expect(idle.fired).toBe(false);
  });

  it("starts aborted, with the parent's reason, when the parent already was; a later abort keeps the parent's reason", () => {
    const done = new AbortController();
    const reason = new Error("node lost");
    done.abort(reason);
    const idle = new IdleAbort(100, done.signal, () => Date.now());
    expect(idle.signal.aborted).toBe(true);
    expect(idle.signal.reason).toBe(reason);
    idle.stop();
    const parent = new AbortController();
    const later = new IdleAbort(100, parent.signal, () => Date.now());
    const why = new Error("by the scheduler");
    parent.abort(why);
    expect(later.signal.reason).toBe(why);
    later.stop();
  });
  it("a timer that runs late (the orchestrator itself was stopped or blocked) starts the wait over instead of aborting", () => {
    let paused = 0;
    const idle = new IdleAbort(1000, new AbortController().signal, () => Date.now() + paused);
    vi.advanceTimersByTime(500);
    // The process was stopped for 8 s: when its timer finally runs, the clock has moved on by that much.
    paused = 8000;
    vi.advanceTimersByTime(500);
    expect(idle.signal.aborted).toBe(false);
    // Still silent for a whole bound after the resume: that silence is the worker's.
    vi.advanceTimersByTime(999);
    expect(idle.signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(idle.fired).toBe(true);
  });
  it("is forgiven one late timer per silence, not every one (an orchestrator late throughout still judges)", () => {
    let lag = 0;
    const idle = new IdleAbort(1000, new AbortController().signal, () => Date.now() + lag);
    lag = 3000;
    vi.advanceTimersByTime(1000); // late: the wait starts over
    expect(idle.signal.aborted).toBe(false);
    lag = 6000;
    vi.advanceTimersByTime(1000); // late again with nothing heard: judged
    expect(idle.fired).toBe(true);
  });
});
