import type { CatalogModelView } from "../../src-shared/catalog/catalog-view.js";
import type { StagingFailureReason, StagingJob } from "../../src-shared/staging/staging-job.js";
import type { JobRate } from "../stores/staging-store.js";
import type { Presence } from "./models.js";

/** What an operator reads on a progress bar: queued → transferring → verifying → ready | failed. */
export type StagingPhase = "queued" | "transferring" | "verifying" | "retrying" | "ready" | "failed" | "canceled";

export interface JobProgress {
  job: StagingJob;
  phase: StagingPhase;
  /** 0…1 of the file on the target's disk. */
  fraction: number;
  bytesPerSecond: number | null;
  /** Null when the rate is unknown (or the job is not moving). */
  etaMs: number | null;
  reason: StagingFailureReason | null;
}

const PHASE: Record<StagingJob["state"], StagingPhase> = {
  queued: "queued",
  transferring: "transferring",
  verifying: "verifying",
  retrying: "retrying",
  completed: "ready",
  failed: "failed",
  canceled: "canceled",
};

export function jobProgress(job: StagingJob, rate: JobRate | undefined): JobProgress {
  const phase = PHASE[job.state];
  const fraction = job.size_bytes === 0 ? 1 : Math.min(1, job.bytes_done / job.size_bytes);
  const moving = phase === "transferring" && rate?.bytesPerSecond !== null && rate?.bytesPerSecond !== undefined && rate.bytesPerSecond > 0;
  const bytesPerSecond = phase === "transferring" ? (rate?.bytesPerSecond ?? null) : null;
  const etaMs = moving ? ((job.size_bytes - job.bytes_done) * 1000) / (rate.bytesPerSecond as number) : null;
  return { job, phase, fraction, bytesPerSecond, etaMs, reason: job.error?.reason ?? null };
}

/**
 * One cell of the models × nodes matrix. `verified` comes from the node's live inventory (or a job
 * that just completed, before the next heartbeat says so); `staging` from an active job; `failed`
 * from the last job; `partial` from the catalog (bytes left by an earlier job); else `absent`.
 */
export type MatrixCell =
  | { state: "verified"; presence: Exclude<Presence, "absent"> }
  | { state: "staging"; progress: JobProgress }
  | { state: "failed"; progress: JobProgress }
  | { state: "partial"; bytes: number }
  | { state: "absent" };

const ACTIVE = new Set<StagingPhase>(["queued", "transferring", "verifying", "retrying"]);

/** The newest job per `${sha256}/${node}`. */
export function latestJobs(jobs: Iterable<StagingJob>): Map<string, StagingJob> {
  const latest = new Map<string, StagingJob>();
  for (const job of jobs) {
    const key = `${job.sha256}/${job.target_node_id}`;
    const known = latest.get(key);
    if (known === undefined || known.created_at_ms < job.created_at_ms || (known.created_at_ms === job.created_at_ms && known.updated_at_ms < job.updated_at_ms)) latest.set(key, job);
  }
  return latest;
}

export function matrixCell(input: { sha256: string; nodeId: string; presence: Presence; job: StagingJob | undefined; rate: JobRate | undefined; view: CatalogModelView | undefined }): MatrixCell {
  if (input.presence !== "absent") return { state: "verified", presence: input.presence };
  if (input.job !== undefined) {
    const progress = jobProgress(input.job, input.rate);
    if (progress.phase === "ready") return { state: "verified", presence: "present" };
    if (ACTIVE.has(progress.phase)) return { state: "staging", progress };
    if (progress.phase === "failed") return { state: "failed", progress };
  }
  const placed = input.view?.nodes.find((n) => n.node_id === input.nodeId);
  if (placed?.state === "partial") return { state: "partial", bytes: placed.bytes };
  return { state: "absent" };
}

/** For a one-click "replicate": the Online, undrained node that does not hold the model and holds the fewest models. */
export function replicaTarget(nodes: readonly { node_id: string; status: string; eligibility: string; models: readonly { sha256: string }[] }[], sha256: string): string | null {
  const candidates = nodes.filter((n) => n.status === "Online" && n.eligibility === "eligible" && !n.models.some((m) => m.sha256 === sha256));
  candidates.sort((a, b) => a.models.length - b.models.length || a.node_id.localeCompare(b.node_id));
  return candidates[0]?.node_id ?? null;
}
