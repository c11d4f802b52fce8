import { z } from "zod";
import { SseEventSchema, type SseEvent } from "../../../src-shared/streaming/sse-events.js";
import type { Db } from "./database.js";

/**
 * Retention of keyed results. A result larger than RESULT_MAX_BYTES is not kept (a retry then gets
 * 409: it must not run twice); results older than RESULT_KEPT_MS go, and the oldest go first when
 * all of them together pass RESULTS_MAX_TOTAL_BYTES. The key → task id mapping (tasks table) is
 * kept as long as the task row, so a retry past retention is refused, never run again.
 */
export const RESULT_MAX_BYTES = 1024 * 1024;
export const RESULT_KEPT_MS = 24 * 60 * 60_000;
export const RESULTS_MAX_TOTAL_BYTES = 256 * 1024 * 1024;
/** Pruning runs at most this often (on a write), not per task. */
const PRUNE_EVERY_MS = 60_000;

const StoredEventsSchema = z.array(SseEventSchema);

/** Why a keyed task's result cannot be replayed. */
export type ResultMissing = "too_large" | "expired_or_absent";

/**
 * The events of finished tasks that carried an Idempotency-Key, in the journal (SQLite), so that a
 * retry with the same key replays the first run's result after the task left memory or the
 * orchestrator restarted. Writes happen inside the journal's finish transaction.
 */
export class IdempotentResults {
  private readonly putStmt;
  private readonly getStmt;
  private readonly pruneAgeStmt;
  private readonly pruneBytesStmt;
  private lastPruneMs = 0;

  constructor(db: Db) {
    this.putStmt = db.prepare(`INSERT OR REPLACE INTO idempotent_results (task_id, finished_at_ms, bytes, events_json, boot_id) VALUES (?, ?, ?, ?, ?)`);
    this.getStmt = db.prepare(`SELECT events_json, boot_id FROM idempotent_results WHERE task_id = ?`);
    this.pruneAgeStmt = db.prepare(`DELETE FROM idempotent_results WHERE finished_at_ms < ?`);
    this.pruneBytesStmt = db.prepare(
      `DELETE FROM idempotent_results WHERE task_id IN (
         SELECT task_id FROM (SELECT task_id, SUM(bytes) OVER (ORDER BY finished_at_ms DESC, task_id) AS running FROM idempotent_results) WHERE running > ?)`,
    );
  }

  /** Keeps a finished task's events (and the boot their ids carry); false when they are over RESULT_MAX_BYTES (nothing kept). */
  put(taskId: string, finishedAtMs: number, events: readonly SseEvent[], bootId: string | null = null): boolean {
    const json = JSON.stringify(events);
    const bytes = Buffer.byteLength(json);
    if (bytes > RESULT_MAX_BYTES) return false;
    this.putStmt.run(taskId, finishedAtMs, bytes, json, bootId);
    if (finishedAtMs - this.lastPruneMs >= PRUNE_EVERY_MS) this.prune(finishedAtMs);
    return true;
  }

  /** The kept events of a task, or null (never keyed, too large, or past retention). */
  get(taskId: string): SseEvent[] | null {
    return this.kept(taskId)?.events ?? null;
  }

  /** The kept events and the boot their ids carried (null for results kept before it was), or null. */
  kept(taskId: string): { events: SseEvent[]; boot_id: string | null } | null {
    const row = this.getStmt.get(taskId) as { events_json?: unknown; boot_id?: unknown } | undefined;
    if (typeof row?.events_json !== "string") return null;
    const parsed = StoredEventsSchema.safeParse(JSON.parse(row.events_json));
    return parsed.success ? { events: parsed.data, boot_id: typeof row.boot_id === "string" ? row.boot_id : null } : null;
  }

  /** Applies the retention (age, then total bytes, oldest first). */
  prune(nowMs: number): void {
    this.lastPruneMs = nowMs;
    this.pruneAgeStmt.run(nowMs - RESULT_KEPT_MS);
    this.pruneBytesStmt.run(RESULTS_MAX_TOTAL_BYTES);
  }
}
