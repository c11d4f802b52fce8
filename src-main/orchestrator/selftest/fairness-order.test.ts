import { describe, expect, it } from "vitest";
import { countInversions, type TimedTask } from "./fairness-order.js";

const t = (priority: TimedTask["priority"], enqueued: number, started: number | null): TimedTask => ({ priority, enqueued_at_ms: enqueued, started_at_ms: started });

describe("fairness inversions", () => {
  it("finds none when interactive work overtakes queued batch work and lanes stay in order", () => {
    expect(countInversions([t("batch", 0, 20), t("batch", 1, 21), t("interactive", 2, 10), t("interactive", 3, 11)])).toEqual({ priority: 0, fifo: 0 });
  });

  it("counts a batch task that started while an interactive one waited", () => {
    expect(countInversions([t("batch", 0, 10), t("batch", 1, 30), t("interactive", 2, 20)])).toEqual({ priority: 1, fifo: 0 });
  });

  it("does not blame a batch task that had started before the interactive one arrived", () => {
    expect(countInversions([t("batch", 0, 1), t("interactive", 2, 20)])).toEqual({ priority: 0, fifo: 0 });
  });

  it("counts overtaking within a lane, and a task that never started as last", () => {
    expect(countInversions([t("batch", 0, 30), t("batch", 1, 20)])).toEqual({ priority: 0, fifo: 1 });
    expect(countInversions([t("interactive", 0, null), t("interactive", 1, 5)])).toEqual({ priority: 0, fifo: 1 });
  });
});
