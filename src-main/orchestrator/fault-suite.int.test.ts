import { describe, expect, it } from "vitest";
import { runFaults } from "../../test-support/faults/fault-run.js";

// Issue 14: the fault suite. A real orchestrator process and three real agents (each behind a fault
// proxy) under concurrent streaming load, while seeded faults hit them: SIGKILL/SIGSTOP of agents
// and engines, orchestrator SIGKILL + restart, model files truncated or rewritten, huge prompts,
// latency, black holes, resets and byte corruption. The history checker then judges every
// client-visible event (test-support/faults/history-checker.ts). FAULT_SEED replays a run;
// `npm run soak` runs the long version.
const SEED = Number(process.env.FAULT_SEED ?? Date.now() % 100_000);

describe("fault suite", () => {
  it("keeps every invariant over a randomized run (lost = 0, duplicated = 0)", async () => {
    const report = await runFaults({ seed: SEED, durationMs: 30_000, clients: 4, faultGapMs: [700, 1600], followLimitMs: 60_000 });
    expect(report.counts.accepted).toBeGreaterThan(20);
    expect(report.counts.lost).toBe(0);
    expect(report.counts.duplicated).toBe(0);
    expect(report.violations).toEqual([]);
  }, 180_000);
});
