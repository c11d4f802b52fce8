import { describe, expect, it } from "vitest";
import { checkHistory, percentiles } from "./history-checker.js";
import type { HistoryEntry } from "./history.js";

const M = "m";
const online = (t: number, node: string): HistoryEntry => ({ t, kind: "node", node, state: "Online", eligible: true, models: [M] });
const offline = (t: number, node: string): HistoryEntry => ({ t, kind: "node", node, state: "Offline", eligible: true, models: [] });
const check = (entries: HistoryEntry[]) => checkHistory(entries, { stateToleranceMs: 100 });

describe("history checker", () => {
  it("passes a clean history and counts it", () => {
    const r = check([online(0, "a"), { t: 1, kind: "accepted", task: "t1", model: M, replayed: false }, { t: 2, kind: "placed", task: "t1", node: "a" }, { t: 3, kind: "token", task: "t1", index: 0 }, { t: 4, kind: "end", task: "t1", canceled: false, tokens: 1 }]);
    expect(r).toEqual({ counts: { accepted: 1, completed: 1, canceled: 0, failedByCode: {}, refusedByCode: {}, lost: 0, duplicated: 0 }, violations: [] });
  });

  it("finds lost tasks, double terminals, late tokens, repeated token indices and keys that ran twice", () => {
    const r = check([
      { t: 1, kind: "accepted", task: "lost", model: M, replayed: false },
      { t: 1, kind: "accepted", task: "twice", model: M, replayed: false, key: "k" },
      { t: 2, kind: "end", task: "twice", canceled: false, tokens: 0 },
      { t: 3, kind: "error", task: "twice", code: "WORKER_RESET" },
      { t: 4, kind: "accepted", task: "other", model: M, replayed: false, key: "k" },
      { t: 5, kind: "token", task: "other", index: 0 },
      { t: 6, kind: "token", task: "other", index: 0 },
      { t: 7, kind: "end", task: "other", canceled: true, tokens: 1 },
      { t: 8, kind: "token", task: "other", index: 1 },
    ]);
    expect(r.counts).toMatchObject({ accepted: 3, lost: 1, duplicated: 3 });
    expect(r.violations.join("\n")).toMatch(/lost: accepted, no terminal/);
    expect(r.violations.join("\n")).toMatch(/twice: 2 terminal events/);
    expect(r.violations.join("\n")).toMatch(/token\(s\) after its terminal/);
    expect(r.violations.join("\n")).toMatch(/Idempotency-Key k ran as 2 tasks/);
  });

  it("flags a placement on a node that was Offline all around it, and a failure not re-placed while another holder was online", () => {
    const r = check([
      online(0, "a"), online(0, "b"), offline(10, "b"),
      { t: 500, kind: "accepted", task: "t", model: M, replayed: false },
      { t: 501, kind: "placed", task: "t", node: "b" },
      { t: 600, kind: "error", task: "t", code: "WORKER_RESET" },
      { t: 601, kind: "status", task: "t", attempts: 1, node: "b" },
    ]);
    expect(r.violations).toHaveLength(2);
    // Within the polling tolerance of a state change a placement is not judged.
    expect(check([online(0, "a"), offline(10, "a"), online(520, "a"), { t: 500, kind: "accepted", task: "u", model: M, replayed: false }, { t: 501, kind: "placed", task: "u", node: "a" }, { t: 530, kind: "end", task: "u", canceled: false, tokens: 0 }]).violations).toEqual([]);
  });

  it("counts as another holder only a node that held the model, and never the node the task was placed on (seed 94842)", () => {
    const holding = (t: number, node: string, models: string[]): HistoryEntry => ({ t, kind: "node", node, state: "Online", eligible: true, models });
    // The only holder's copy is rewritten: the task placed on it ends POOL_UNAVAILABLE and the status
    // names no node. Neither that holder (not polled again before the end) nor a node holding
    // only another model is "another holder".
    const onlyHolderLost = check([
      holding(0, "b", [M, "tiny"]), holding(0, "c", ["tiny"]),
      { t: 500, kind: "accepted", task: "t", model: M, replayed: false },
      { t: 510, kind: "placed", task: "t", node: "b" },
      { t: 530, kind: "error", task: "t", code: "POOL_UNAVAILABLE" },
      { t: 531, kind: "status", task: "t", attempts: 1, node: null },
    ]).violations;
    expect(onlyHolderLost).toEqual([]);
    // A third node that held the model throughout still makes it a violation.
    const otherHeldIt = check([
      holding(0, "b", [M]), holding(0, "c", ["tiny"]), holding(0, "d", [M]),
      { t: 500, kind: "accepted", task: "t", model: M, replayed: false },
      { t: 510, kind: "placed", task: "t", node: "b" },
      { t: 530, kind: "error", task: "t", code: "POOL_UNAVAILABLE" },
      { t: 531, kind: "status", task: "t", attempts: 1, node: null },
    ]).violations;
    expect(otherHeldIt).toHaveLength(1);
    expect(otherHeldIt[0]).toContain("another holder stayed online");
  });

  it("does not judge a placement among polls that show the node changing state (re-registering: it was Online between polls)", () => {
    const state = (t: number, node: string, st: string): HistoryEntry => ({ t, kind: "node", node, state: st, eligible: true, models: [M] }) as HistoryEntry;
    const reRegistering = check([
      online(0, "a"), offline(10, "a"), state(700, "a", "Registering"), state(900, "a", "Suspect"),
      { t: 800, kind: "accepted", task: "r", model: M, replayed: false },
      { t: 801, kind: "placed", task: "r", node: "a" },
      { t: 950, kind: "error", task: "r", code: "WORKER_RESET" },
    ]).violations;
    expect(reRegistering.filter((v) => v.includes("placed on"))).toEqual([]);
    // The same placement among polls that all say Suspect is still a violation.
    const steadySuspect = check([
      online(0, "a"), state(10, "a", "Suspect"), state(700, "a", "Suspect"), state(900, "a", "Suspect"),
      { t: 800, kind: "accepted", task: "s", model: M, replayed: false },
      { t: 801, kind: "placed", task: "s", node: "a" },
      { t: 950, kind: "end", task: "s", canceled: false, tokens: 0 },
    ]).violations;
    expect(steadySuspect.filter((v) => v.includes("placed on"))).toHaveLength(1);
  });

  it("judges a placement only by states polled from the orchestrator that placed it (not from before its restart)", () => {
    const placedAfterRestart = (observedAfterRestart: boolean) =>
      check([
        online(0, "a"), offline(10, "a"),
        { t: 200, kind: "fault", fault: "orchestrator-restart" },
        ...(observedAfterRestart ? [offline(300, "a")] : []),
        { t: 500, kind: "accepted", task: "v", model: M, replayed: false },
        { t: 501, kind: "placed", task: "v", node: "a" },
        { t: 530, kind: "end", task: "v", canceled: false, tokens: 0 },
      ]).violations;
    // Seen Offline only before the restart: the new orchestrator may have seen it re-register between polls.
    expect(placedAfterRestart(false)).toEqual([]);
    // Seen Offline by the new orchestrator all around the placement: a violation.
    expect(placedAfterRestart(true)).toHaveLength(1);
    // ... unless that orchestrator was killed within the tolerance after placing (its window was cut short).
    const cut = check([
      online(0, "a"), offline(10, "a"), { t: 480, kind: "fault", fault: "orchestrator-restart" }, offline(900, "a"),
      { t: 400, kind: "accepted", task: "w", model: M, replayed: false },
      { t: 401, kind: "placed", task: "w", node: "a" },
      { t: 1000, kind: "error", task: "w", code: "WORKER_RESET" },
    ]).violations;
    expect(cut).toEqual([]);
  });

  it("percentiles by nearest rank", () => {
    expect(percentiles([5, 1, 3])).toEqual({ p50: 3, p99: 5, n: 3 });
    expect(percentiles([])).toBeNull();
  });
});
