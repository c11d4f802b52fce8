import { z } from "zod";
import { StagingJobSchema, StagingJobStateSchema, TERMINAL_STAGING_STATES, type StagingJob, type StagingJobState } from "../../../src-shared/staging/staging-job.js";
import type { Db } from "./database.js";
import { bestEffort, type WriteFailureReporter } from "./write-failure-reporter.js";

const RecordRow = z.object({ record_json: z.string() });
const CountRow = z.object({ state: StagingJobStateSchema, n: z.number() });

/** Staging jobs, persisted on every change so an orchestrator restart resumes them. */
export class StagingJobStore {
  /** `report`: job saves go on from memory when the database refuses them (bestEffort); without it they throw. */
  constructor(
    private readonly db: Db,
    private readonly report?: WriteFailureReporter,
  ) {}

  save(job: StagingJob): void {
    if (this.report !== undefined) bestEffort("staging job", this.report, () => this.write(job));
    else this.write(job);
  }

  private write(job: StagingJob): void {
    this.db
      .prepare(
        `INSERT INTO staging_jobs (job_id, sha256, target_node_id, state, record_json, created_at_ms) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(job_id) DO UPDATE SET state = excluded.state, record_json = excluded.record_json`,
      )
      .run(job.job_id, job.sha256, job.target_node_id, job.state, JSON.stringify(job), job.created_at_ms);
  }

  get(jobId: string): StagingJob | undefined {
    const row = this.db.prepare(`SELECT record_json FROM staging_jobs WHERE job_id = ?`).get(jobId);
    return row === undefined ? undefined : parse(row);
  }

  /** Newest first. */
  list(filter: { state?: StagingJobState; sha256?: string; limit?: number } = {}): StagingJob[] {
    return this.db
      .prepare(`SELECT record_json FROM staging_jobs WHERE (? IS NULL OR state = ?) AND (? IS NULL OR sha256 = ?) ORDER BY created_at_ms DESC, job_id LIMIT ?`)
      .all(filter.state ?? null, filter.state ?? null, filter.sha256 ?? null, filter.sha256 ?? null, filter.limit ?? 200)
      .map(parse);
  }

  /** Jobs not yet completed, failed or canceled (resumed at start). */
  unfinished(): StagingJob[] {
    const terminal = TERMINAL_STAGING_STATES.map((s) => `'${s}'`).join(", ");
    return this.db.prepare(`SELECT record_json FROM staging_jobs WHERE state NOT IN (${terminal}) ORDER BY created_at_ms`).all().map(parse);
  }

  countByState(): Map<StagingJobState, number> {
    const counts = new Map<StagingJobState, number>();
    for (const raw of this.db.prepare(`SELECT state, COUNT(*) AS n FROM staging_jobs GROUP BY state`).all()) {
      const row = CountRow.parse(raw);
      counts.set(row.state, row.n);
    }
    return counts;
  }
}

function parse(raw: unknown): StagingJob {
  return StagingJobSchema.parse(JSON.parse(RecordRow.parse(raw).record_json));
}
