import { TERMINAL_STAGING_STATES, type StagingJob, type StagingJobState } from "../../../src-shared/staging/staging-job.js";

/** Allowed state changes of a staging job; terminal states have none. */
export const STAGING_TRANSITIONS: Readonly<Record<StagingJobState, readonly StagingJobState[]>> = {
  queued: ["transferring", "retrying", "completed", "failed", "canceled"],
  transferring: ["verifying", "retrying", "completed", "failed", "canceled"],
  verifying: ["completed", "retrying", "failed", "canceled"],
  retrying: ["transferring", "completed", "failed", "canceled"],
  completed: [],
  failed: [],
  canceled: [],
};

export function isTerminal(state: StagingJobState): boolean {
  return TERMINAL_STAGING_STATES.includes(state);
}

export class IllegalStagingTransition extends Error {}

/**
 * The job after a change: a new state must be allowed by STAGING_TRANSITIONS (the same state is a
 * progress update, refused once terminal); `finished_at_ms` is set on entering a terminal state.
 */
export function updateJob(job: StagingJob, patch: Partial<Omit<StagingJob, "job_id" | "sha256" | "target_node_id" | "created_at_ms">>, now: number): StagingJob {
  const to = patch.state ?? job.state;
  if (isTerminal(job.state)) throw new IllegalStagingTransition(`staging job ${job.job_id} is ${job.state}; it cannot change`);
  if (to !== job.state && !STAGING_TRANSITIONS[job.state].includes(to)) throw new IllegalStagingTransition(`staging job ${job.job_id}: ${job.state} → ${to} is not allowed`);
  return { ...job, ...patch, state: to, updated_at_ms: now, finished_at_ms: isTerminal(to) ? now : null };
}
