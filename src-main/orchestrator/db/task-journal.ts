import { z } from "zod";
import type { Db } from "./database.js";

export const TaskJournalRowSchema = z.object({
  task_id: z.string(),
  session_id: z.string(),
  api: z.string(),
  model: z.string(),
  priority: z.string(),
  state: z.string(),
  accepted_at_ms: z.number(),
  started_at_ms: z.number().nullable(),
  first_token_at_ms: z.number().nullable(),
  finished_at_ms: z.number().nullable(),
  node_id: z.string().nullable(),
  pool_id: z.string().nullable(),
  tokens_in: z.number(),
  tokens_out: z.number(),
  error_code: z.string().nullable(),
  error_message: z.string().nullable(),
  placement_json: z.string().nullable(),
});
export type TaskJournalRow = z.infer<typeof TaskJournalRowSchema>;

/** What is written when a task is accepted. */
export interface TaskAcceptedRecord {
  task_id: string;
  session_id: string;
  api: string;
  model_sha256: string;
  priority: string;
  accepted_at_ms: number;
}

/** What is written at a task's terminal event. */
export interface TaskFinishedRecord {
  task_id: string;
  state: string;
  started_at_ms: number | null;
  first_token_at_ms: number | null;
  finished_at_ms: number | null;
  node_id: string | null;
  pool_id: string | null;
  tokens_in: number;
  tokens_out: number;
  error_code: string | null;
  error_message: string | null;
  /** The placement decision as JSON, for "why did it run there" after the fact. */
  placement_json: string | null;
}

/**
 * The task journal: every accepted task is written when accepted and again at its terminal event,
 * in a transaction, before the terminal event is acknowledged to anyone else.
 */
export class TaskJournal {
  private readonly acceptStmt;
  private readonly finishStmt;

  constructor(private readonly db: Db) {
    this.acceptStmt = db.prepare(
      `INSERT OR REPLACE INTO tasks (task_id, session_id, api, model, priority, state, accepted_at_ms) VALUES (?, ?, ?, ?, ?, 'queued', ?)`,
    );
    this.finishStmt = db.prepare(
      `UPDATE tasks SET state = ?, started_at_ms = ?, first_token_at_ms = ?, finished_at_ms = ?, node_id = ?, pool_id = ?,
         tokens_in = ?, tokens_out = ?, error_code = ?, error_message = ?, placement_json = ? WHERE task_id = ?`,
    );
  }

  accepted(r: TaskAcceptedRecord): void {
    this.acceptStmt.run(r.task_id, r.session_id, r.api, r.model_sha256, r.priority, r.accepted_at_ms);
  }

  finished(r: TaskFinishedRecord): void {
    this.finishStmt.run(r.state, r.started_at_ms, r.first_token_at_ms, r.finished_at_ms, r.node_id, r.pool_id, r.tokens_in, r.tokens_out, r.error_code, r.error_message, r.placement_json, r.task_id);
  }

  /** At startup: tasks a previous run accepted but never finished end as failed (their clients are gone). */
  failUnfinished(atMs: number): TaskJournalRow[] {
    const rows = this.unfinished();
    this.db.prepare(`UPDATE tasks SET state = 'failed', finished_at_ms = ?, error_code = 'WORKER_RESET', error_message = 'the orchestrator stopped before the task finished' WHERE finished_at_ms IS NULL`).run(atMs);
    return rows;
  }

  get(taskId: string): TaskJournalRow | null {
    const raw = this.db.prepare(`SELECT * FROM tasks WHERE task_id = ?`).get(taskId);
    return raw === undefined ? null : TaskJournalRowSchema.parse(raw);
  }

  has(taskId: string): boolean {
    return this.db.prepare(`SELECT 1 AS one FROM tasks WHERE task_id = ?`).get(taskId) !== undefined;
  }

  /** Tasks accepted but never finished: what a crash interrupted (reported at startup). */
  unfinished(): TaskJournalRow[] {
    return this.db.prepare(`SELECT * FROM tasks WHERE finished_at_ms IS NULL`).all().map((r) => TaskJournalRowSchema.parse(r));
  }

  recent(limit: number): TaskJournalRow[] {
    return this.db.prepare(`SELECT * FROM tasks ORDER BY accepted_at_ms DESC LIMIT ?`).all(limit).map((r) => TaskJournalRowSchema.parse(r));
  }
}
