import { describe, expect, it } from "vitest";
import { runFaults } from "../../test-support/faults/fault-run.js";

// `npm run soak` only (vitest.soak.config.ts): the long fault run (about 500 faults at the default
// 10 minutes) and the 2-minute false-positive soak. FAULT_SEED replays; FAULT_SOAK_MS changes the length.
const SEED = Number(process.env.FAULT_SEED ?? Date.now() % 100_000);
const SOAK_MS = Number(process.env.FAULT_SOAK_MS ?? 600_000);

describe("fault soak", () => {
  it("keeps every invariant over a long randomized run", async () => {
    const report = await runFaults({ seed: SEED, durationMs: SOAK_MS, clients: 6, faultGapMs: [600, 1400], followLimitMs: 120_000 });
    expect(report.counts.lost).toBe(0);
    expect(report.counts.duplicated).toBe(0);
    expect(report.violations).toEqual([]);
  }, SOAK_MS + 300_000);

  it("marks no healthy node Suspect or Offline under event-loop stalls and heartbeat jitter (2 minutes)", async () => {
    const report = await runFaults({ seed: SEED, durationMs: 120_000, clients: 4, faultGapMs: [0, 0], followLimitMs: 60_000, faults: false, workerEnv: { LLORCH_TEST_LOOP_STALL: "300/1000", LLORCH_TEST_HEARTBEAT_JITTER_MS: "200" } });
    expect(report.suspectTransitions).toBe(0);
    expect(report.offlineTransitions).toBe(0);
    expect(report.violations).toEqual([]);
  }, 300_000);
});
