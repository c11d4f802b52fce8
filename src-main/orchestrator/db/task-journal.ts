import { z } from "zod";
import type { SseEvent } from "../../../src-shared/streaming/sse-events.js";
import type { Db } from "./database.js";
import { IdempotentResults } from "./idempotent-results.js";
import { inTransaction } from "./transaction.js";

/** How many of the newest journal rows the queue board (GET /v2/tasks) looks at. */
export const JOURNAL_LIST_WINDOW = 10_000;

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
  request_json: z.string().nullable(),
  idempotency_key: z.string().nullable(),
  /** Null in rows finished before these were journaled (and while a task runs). */
  stop_reason: z.string().nullable().optional(),
  attempts: z.number().nullable().optional(),
  rescues: z.number().nullable().optional(),
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
  /** Everything needed to queue the task again after a crash (the task room's own format). */
  request_json: string;
  idempotency_key: string | null;
}

/** A task placed on a pool (or back in the queue after a failed attempt: node and pool null). */
export interface TaskPlacedRecord {
  task_id: string;
  state: string;
  node_id: string | null;
  pool_id: string | null;
  started_at_ms: number | null;
}

/** Streaming progress of a running task, written in batches (not per token). */
export interface TaskProgressRecord {
  task_id: string;
  tokens_out: number;
  first_token_at_ms: number | null;
}

/** What a restart finds: tasks to queue again, and running ones that ended with the crash. */
export interface JournalRecovery {
  requeue: TaskJournalRow[];
  interrupted: TaskJournalRow[];
  /** Queued tasks nobody could receive any more, recorded as canceled. */
  abandoned: TaskJournalRow[];
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
  stop_reason: string | null;
  /** Nodes tried, and rescues after a node failed mid-stream. */
  attempts: number;
  rescues: number;
  /** A keyed task's whole stream (terminal event included), kept so a retry can replay it. */
  result_events?: readonly SseEvent[] | undefined;
  /** The boot the stream's event ids carried (tasks/event-ids.ts). */
  result_boot_id?: string | undefined;
}

/** How a batched accept ended: written, refused because the task id exists (unique key), or an error. */
export type AcceptOutcome = "inserted" | "duplicate" | Error;

/** One write of a turn's batch; a placement's outcome is "inserted" when written. */
type PendingWrite =
  | { kind: "accept"; record: TaskAcceptedRecord; settle: (outcome: AcceptOutcome) => void }
  | { kind: "placed"; record: TaskPlacedRecord; settle: (outcome: AcceptOutcome) => void };

const EndedTaskRowSchema = z.object({
  task_id: z.string(),
  /** The credential that admitted it, from the stored request; null for a row written before owners (or not saying). */
  owner: z.unknown().transform((v) => (typeof v === "string" ? v : null)),
  accepted_at_ms: z.number(),
  finished_at_ms: z.number(),
  tokens_in: z.number(),
  tokens_out: z.number(),
});
export type EndedTaskRow = z.infer<typeof EndedTaskRowSchema>;

/**
 * The task journal: every accepted task is written when accepted and again at its terminal event,
 * in a transaction, before the terminal event is acknowledged to anyone else. Accepts can be
 * group-committed: all those of one event-loop turn go in one transaction, and every other read or
 * write flushes them first, so the journal's order is always the order of the calls.
 */
export class TaskJournal {
  private readonly acceptStmt;
  private readonly acceptOrIgnoreStmt;
  /** This turn's batch, in call order: accepts, and the placements of tasks dispatched before their accept committed. */
  private pending: PendingWrite[] = [];
  private flushScheduled = false;
  private readonly placeStmt;
  private readonly progressStmt;
  private readonly finishStmt;
  private readonly getStmt;
  private readonly hasStmt;
  private readonly byKeyStmt;
  private readonly results: IdempotentResults;

  constructor(private readonly db: Db) {
    this.results = new IdempotentResults(db);
    this.acceptStmt = db.prepare(
      `INSERT INTO tasks (task_id, session_id, api, model, priority, state, accepted_at_ms, request_json, idempotency_key) VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?)`,
    );
    this.acceptOrIgnoreStmt = db.prepare(
      `INSERT INTO tasks (task_id, session_id, api, model, priority, state, accepted_at_ms, request_json, idempotency_key) VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?) ON CONFLICT(task_id) DO NOTHING`,
    );
    this.placeStmt = db.prepare(`UPDATE tasks SET state = ?, node_id = ?, pool_id = ?, started_at_ms = COALESCE(started_at_ms, ?) WHERE task_id = ? AND finished_at_ms IS NULL`);
    this.progressStmt = db.prepare(`UPDATE tasks SET tokens_out = ?, first_token_at_ms = ? WHERE task_id = ? AND finished_at_ms IS NULL`);
    this.getStmt = db.prepare(`SELECT * FROM tasks WHERE task_id = ?`);
    this.hasStmt = db.prepare(`SELECT 1 AS one FROM tasks WHERE task_id = ?`);
    this.byKeyStmt = db.prepare(`SELECT task_id FROM tasks WHERE idempotency_key = ?`);
    this.finishStmt = db.prepare(
      `UPDATE tasks SET state = ?, started_at_ms = ?, first_token_at_ms = ?, finished_at_ms = ?, node_id = ?, pool_id = ?,
         tokens_in = ?, tokens_out = ?, error_code = ?, error_message = ?, placement_json = ?, stop_reason = ?, attempts = ?, rescues = ? WHERE task_id = ?`,
    );
  }

  accepted(r: TaskAcceptedRecord): void {
    this.flush();
    this.acceptStmt.run(r.task_id, r.session_id, r.api, r.model_sha256, r.priority, r.accepted_at_ms, r.request_json, r.idempotency_key);
  }

  /**
   * Group commit: the record joins this turn's batch, written in one transaction at the end of the
   * turn (or sooner, when anything else touches the journal); `settle` is called synchronously then.
   * A task id the journal already holds is "duplicate" (the unique key is the index of known ids).
   */
  acceptBatched(r: TaskAcceptedRecord, settle: (outcome: AcceptOutcome) => void): void {
    this.enqueueWrite({ kind: "accept", record: r, settle });
  }

  /**
   * A placement that joins this turn's batch, after its task's accept (a task dispatched before its
   * accept committed, see TaskService.enqueue): both go in one transaction. `onError` gets a failed write.
   */
  placedBatched(r: TaskPlacedRecord, onError: (err: Error) => void): void {
    this.enqueueWrite({ kind: "placed", record: r, settle: (outcome) => {
        if (outcome instanceof Error) onError(outcome);
      } });
  }

  private enqueueWrite(write: PendingWrite): void {
    this.pending.push(write);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  /** Writes the pending batch now (one transaction; row by row only if the batch as a whole fails). */
  flush(): void {
    this.flushScheduled = false;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    const write = (w: PendingWrite): AcceptOutcome => {
      if (w.kind === "placed") {
        this.runPlaced(w.record);
        return "inserted";
      }
      const r = w.record;
      return this.acceptOrIgnoreStmt.run(r.task_id, r.session_id, r.api, r.model_sha256, r.priority, r.accepted_at_ms, r.request_json, r.idempotency_key).changes > 0 ? "inserted" : "duplicate";
    };
    const writeOrError = (w: PendingWrite): AcceptOutcome => {
      try {
        return write(w);
      } catch (err) {
        return err instanceof Error ? err : new Error(String(err));
      }
    };
    let outcomes: AcceptOutcome[];
    if (batch.length === 1) {
      // One statement commits atomically by itself: no BEGIN / COMMIT round trips through the driver.
      outcomes = [writeOrError(batch[0] as PendingWrite)];
    } else {
      try {
        outcomes = inTransaction(this.db, () => batch.map(write));
      } catch {
        // One bad row (another unique key, say) must not sink the others.
        outcomes = batch.map(writeOrError);
      }
    }
    batch.forEach((b, i) => b.settle(outcomes[i] as AcceptOutcome));
  }

  placed(r: TaskPlacedRecord): void {
    this.flush();
    this.runPlaced(r);
  }

  private runPlaced(r: TaskPlacedRecord): void {
    this.placeStmt.run(r.state, r.node_id, r.pool_id, r.started_at_ms, r.task_id);
  }

  /** One transaction for a batch of running tasks' token counts. */
  progress(rows: readonly TaskProgressRecord[]): void {
    if (rows.length === 0) return;
    this.flush();
    inTransaction(this.db, () => {
      for (const r of rows) this.progressStmt.run(r.tokens_out, r.first_token_at_ms, r.task_id);
    });
  }

  /** The task an Idempotency-Key was first used for, if any. */
  taskForIdempotencyKey(key: string): string | null {
    this.flush();
    const row = this.byKeyStmt.get(key) as { task_id?: unknown } | undefined;
    return typeof row?.task_id === "string" ? row.task_id : null;
  }

  /** The terminal record, with a keyed task's result in the same transaction. */
  finished(r: TaskFinishedRecord): void {
    this.flush();
    const events = r.result_events;
    if (events === undefined) {
      // One UPDATE commits atomically by itself (the terminal path's one write before the client's answer).
      this.finishStmt.run(r.state, r.started_at_ms, r.first_token_at_ms, r.finished_at_ms, r.node_id, r.pool_id, r.tokens_in, r.tokens_out, r.error_code, r.error_message, r.placement_json, r.stop_reason, r.attempts, r.rescues, r.task_id);
      return;
    }
    inTransaction(this.db, () => {
      this.finishStmt.run(r.state, r.started_at_ms, r.first_token_at_ms, r.finished_at_ms, r.node_id, r.pool_id, r.tokens_in, r.tokens_out, r.error_code, r.error_message, r.placement_json, r.stop_reason, r.attempts, r.rescues, r.task_id);
      this.results.put(r.task_id, r.finished_at_ms ?? 0, events, r.result_boot_id ?? null);
    });
  }

  /** The stream a keyed task's retry replays, or null when it was not kept (see idempotent-results.ts). */
  keptResult(taskId: string): SseEvent[] | null {
    return this.keptStream(taskId)?.events ?? null;
  }

  /** The kept stream and the boot its event ids carried (null when not recorded), or null. */
  keptStream(taskId: string): { events: SseEvent[]; boot_id: string | null } | null {
    this.flush();
    return this.results.kept(taskId);
  }

  /**
   * Deletes up to `limit` tasks accepted and finished before `beforeMs` (oldest first, found through the
   * accept index); unfinished ones stay whatever their age, and so does one that ended recently (a long
   * one, or one a restart's recovery ended). Returns how many went: the caller repeats while a batch comes
   * back full, so one call never holds the database for long.
   */
  pruneFinished(beforeMs: number, limit: number): number {
    this.flush();
    return this.db
      .prepare(`DELETE FROM tasks WHERE rowid IN (SELECT rowid FROM tasks WHERE accepted_at_ms < ?1 AND finished_at_ms < ?1 ORDER BY accepted_at_ms LIMIT ?2)`)
      .run(beforeMs, limit).changes as number;
  }

  /** Applies the keyed results' retention now (it also runs by itself on writes, once a minute). */
  pruneResults(nowMs: number): void {
    this.results.prune(nowMs);
  }

  /**
   * At startup: tasks a previous run accepted but never finished. Those still waiting in the queue
   * (never placed, with a stored request) are handed back to be queued again, unless
   * `outlivesConnection` says nobody can receive their result any more: those end canceled, never
   * run (a compatible surface's request without an Idempotency-Key, whose connection closed with the
   * crash). Those that were on a worker end as failed, keeping the node, pool and token counts they had reached.
   */
  recover(atMs: number, outlivesConnection: (row: TaskJournalRow) => boolean = () => true): JournalRecovery {
    const rows = this.unfinished();
    const waiting = rows.filter((r) => r.node_id === null && r.request_json !== null);
    const requeue = waiting.filter((r) => outlivesConnection(r));
    const abandoned = waiting.filter((r) => !requeue.includes(r));
    const interrupted = rows.filter((r) => !waiting.includes(r));
    const fail = this.db.prepare(`UPDATE tasks SET state = 'failed', finished_at_ms = ?, error_code = 'WORKER_RESET', error_message = 'the orchestrator stopped while the task was running on a worker' WHERE task_id = ?`);
    const cancel = this.db.prepare(`UPDATE tasks SET state = 'canceled', finished_at_ms = ?, error_message = 'its client''s connection closed when the orchestrator stopped, before the task started' WHERE task_id = ?`);
    inTransaction(this.db, () => {
      for (const r of interrupted) fail.run(atMs, r.task_id);
      for (const r of abandoned) cancel.run(atMs, r.task_id);
    });
    return { requeue, interrupted, abandoned };
  }

  get(taskId: string): TaskJournalRow | null {
    this.flush();
    const raw = this.getStmt.get(taskId);
    return raw === undefined ? null : TaskJournalRowSchema.parse(raw);
  }

  has(taskId: string): boolean {
    this.flush();
    return this.hasStmt.get(taskId) !== undefined;
  }

  /**
   * Tasks that ended (finished rows) and were accepted at or after `acceptedFromMs` or ended at or after
   * `finishedFromMs` (either bound null: not asked): at startup, those whose request or tokens a crash may
   * have kept from the written key usage (key-usage-meter.ts). Both through an index, so the rows of the
   * last seconds before a crash cost what they are, whatever the journal's size.
   */
  endedSince(acceptedFromMs: number | null, finishedFromMs: number | null): EndedTaskRow[] {
    this.flush();
    const select = `SELECT task_id, json_extract(request_json, '$.owner') AS owner, accepted_at_ms, finished_at_ms, tokens_in, tokens_out FROM tasks`;
    const byId = new Map<string, EndedTaskRow>();
    const add = (rows: unknown[]): void => {
      for (const r of rows) {
        const row = EndedTaskRowSchema.parse(r);
        byId.set(row.task_id, row);
      }
    };
    if (acceptedFromMs !== null) add(this.db.prepare(`${select} WHERE accepted_at_ms >= ? AND finished_at_ms IS NOT NULL`).all(acceptedFromMs));
    if (finishedFromMs !== null) add(this.db.prepare(`${select} WHERE finished_at_ms >= ?`).all(finishedFromMs));
    return [...byId.values()];
  }

  /** Tasks accepted but never finished: what a crash interrupted (reported at startup). */
  unfinished(): TaskJournalRow[] {
    this.flush();
    return this.db.prepare(`SELECT * FROM tasks WHERE finished_at_ms IS NULL`).all().map((r) => TaskJournalRowSchema.parse(r));
  }

  /**
   * The newest rows, optionally of one state and one owner (the admitting credential kept in the
   * stored request), leaving out `except` (tasks the caller already has from memory). Only the newest
   * `window` rows are looked at: a filter that matches few rows (a rare state, one client's tasks)
   * must not scan a journal of millions on every call.
   */
  recent(limit: number, filter: { state?: string; owner?: string; except?: ReadonlySet<string> } = {}, window = JOURNAL_LIST_WINDOW): TaskJournalRow[] {
    this.flush();
    const except = filter.except ?? new Set<string>();
    const rows = this.db
      .prepare(
        `SELECT * FROM tasks
         WHERE accepted_at_ms >= COALESCE((SELECT accepted_at_ms FROM tasks ORDER BY accepted_at_ms DESC LIMIT 1 OFFSET ?4), 0)
           AND (?1 IS NULL OR state = ?1) AND (?2 IS NULL OR json_extract(request_json, '$.owner') = ?2)
         ORDER BY accepted_at_ms DESC LIMIT ?3`,
      )
      .all(filter.state ?? null, filter.owner ?? null, limit + except.size, window - 1);
    return rows.map((r) => TaskJournalRowSchema.parse(r)).filter((r) => !except.has(r.task_id)).slice(0, limit);
  }
}
