import { createStore } from "zustand/vanilla";
import { TERMINAL_STAGING_STATES, type StagingJob } from "../../src-shared/staging/staging-job.js";

/** Finished jobs kept (the matrix shows the last job of each model and node). */
const MAX_FINISHED_JOBS = 500;

/** Bytes per second of one job, smoothed over its progress frames (for rate and ETA). */
export interface JobRate {
  bytesPerSecond: number | null;
  lastAtMs: number;
  lastBytes: number;
}

export interface StagingState {
  loaded: boolean;
  byId: Record<string, StagingJob>;
  rates: Record<string, JobRate>;
  reset(jobs: readonly StagingJob[]): void;
  applyBatch(jobs: readonly StagingJob[]): void;
}

const isTerminal = (job: StagingJob) => TERMINAL_STAGING_STATES.includes(job.state);

/** Exponential smoothing of the byte rate between two frames of the same job (server timestamps). */
export function nextRate(previous: JobRate | undefined, job: StagingJob): JobRate {
  const here = { lastAtMs: job.updated_at_ms, lastBytes: job.bytes_done };
  if (previous === undefined || job.updated_at_ms <= previous.lastAtMs || job.bytes_done < previous.lastBytes) return { bytesPerSecond: previous?.bytesPerSecond ?? null, ...here };
  const sample = ((job.bytes_done - previous.lastBytes) * 1000) / (job.updated_at_ms - previous.lastAtMs);
  return { bytesPerSecond: previous.bytesPerSecond === null ? sample : previous.bytesPerSecond * 0.6 + sample * 0.4, ...here };
}

function evict(byId: Record<string, StagingJob>, rates: Record<string, JobRate>): void {
  const finished = Object.values(byId).filter(isTerminal);
  if (finished.length <= MAX_FINISHED_JOBS) return;
  finished.sort((a, b) => a.updated_at_ms - b.updated_at_ms);
  for (const job of finished.slice(0, finished.length - MAX_FINISHED_JOBS)) {
    delete byId[job.job_id];
    delete rates[job.job_id];
  }
}

/** Staging jobs for the Models view: loaded from GET /v2/catalog/jobs, then kept live by `staging_job` frames. */
export const createStagingStore = () =>
  createStore<StagingState>()((set, get) => ({
    loaded: false,
    byId: {},
    rates: {},
    reset(jobs) {
      const byId: Record<string, StagingJob> = {};
      const rates: Record<string, JobRate> = {};
      // Frames that arrived while the list was loading are newer than it: keep them.
      for (const job of [...jobs, ...Object.values(get().byId)]) {
        const known = byId[job.job_id];
        if (known === undefined || known.updated_at_ms <= job.updated_at_ms) byId[job.job_id] = job;
      }
      for (const job of Object.values(byId)) rates[job.job_id] = get().rates[job.job_id] ?? nextRate(undefined, job);
      evict(byId, rates);
      set({ loaded: true, byId, rates });
    },
    applyBatch(jobs) {
      if (jobs.length === 0) return;
      const byId = { ...get().byId };
      const rates = { ...get().rates };
      for (const job of jobs) {
        const previous = byId[job.job_id];
        // A late progress frame must not resurrect a job already seen finished.
        if (previous !== undefined && isTerminal(previous) && !isTerminal(job)) continue;
        byId[job.job_id] = job;
        rates[job.job_id] = nextRate(rates[job.job_id], job);
      }
      evict(byId, rates);
      set({ byId, rates });
    },
  }));

export type StagingStore = ReturnType<typeof createStagingStore>;
