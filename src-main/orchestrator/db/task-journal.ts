import { z } from "zod";
import type { Task } from "../dispatch/task.js";
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

  accepted(task: Task): void {
    this.acceptStmt.run(task.task_id, task.session_id, task.api, task.model.sha256, task.priority, task.enqueued_at_ms);
  }

  finished(task: Task): void {
    this.finishStmt.run(
      task.state,
      task.started_at_ms,
      task.first_token_at_ms,
      task.finished_at_ms,
      task.node_id,
      task.pool_id,
      task.tokens_in ?? 0,
      task.tokens_out,
      task.error?.code ?? null,
      task.error?.message ?? null,
      task.decision ? JSON.stringify(task.decision) : null,
      task.task_id,
    );
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
