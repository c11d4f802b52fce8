import { describe, expect, it } from "vitest";
import { StagingJobStateSchema, type StagingJob } from "../../../src-shared/staging/staging-job.js";
import { IllegalStagingTransition, isTerminal, STAGING_TRANSITIONS, updateJob } from "./job-state.js";

const job = (over: Partial<StagingJob> = {}): StagingJob => ({
  job_id: "j1", sha256: "a".repeat(64), file_name: "m.gguf", size_bytes: 100, target_node_id: "t", source_node_id: null, state: "queued",
  bytes_done: 0, bytes_transferred: 0, attempts: 0, failed_sources: [], preferred_sources: [], bandwidth_limit_bytes_per_s: null, error: null,
  created_at_ms: 1, updated_at_ms: 1, finished_at_ms: null, ...over,
});

describe("staging job state machine", () => {
  it("walks queued → transferring → verifying → completed and stamps finished_at_ms", () => {
    const t = updateJob(job(), { state: "transferring", source_node_id: "a" }, 10);
    const v = updateJob(t, { state: "verifying", bytes_done: 100 }, 20);
    const c = updateJob(v, { state: "completed" }, 30);
    expect([t.state, v.state, c.state]).toEqual(["transferring", "verifying", "completed"]);
    expect(c).toMatchObject({ finished_at_ms: 30, updated_at_ms: 30, bytes_done: 100, source_node_id: "a" });
    expect(v.finished_at_ms).toBeNull();
  });

  it("retries from any active state and may be canceled or failed from any active state", () => {
    for (const from of ["queued", "transferring", "verifying", "retrying"] as const) {
      expect(updateJob(job({ state: from }), { state: "canceled" }, 5).state).toBe("canceled");
      expect(updateJob(job({ state: from }), { state: "failed" }, 5).state).toBe("failed");
    }
    expect(updateJob(job({ state: "verifying" }), { state: "retrying" }, 5).state).toBe("retrying");
    expect(updateJob(job({ state: "retrying" }), { state: "transferring" }, 5).state).toBe("transferring");
  });

  it("refuses illegal moves and any change of a terminal job", () => {
    expect(() => updateJob(job({ state: "verifying" }), { state: "transferring" }, 5)).toThrow(IllegalStagingTransition);
    expect(() => updateJob(job({ state: "queued" }), { state: "verifying" }, 5)).toThrow(IllegalStagingTransition);
    for (const terminal of ["completed", "failed", "canceled"] as const) {
      expect(isTerminal(terminal)).toBe(true);
      expect(STAGING_TRANSITIONS[terminal]).toEqual([]);
      expect(() => updateJob(job({ state: terminal }), { bytes_done: 1 }, 5)).toThrow(IllegalStagingTransition);
    }
  });

  it("has a row for every state of the wire enum", () => {
    expect(Object.keys(STAGING_TRANSITIONS).sort()).toEqual([...StagingJobStateSchema.options].sort());
  });
});
