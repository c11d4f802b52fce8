import { z } from "zod";
import type { UsageCounts } from "../../../src-shared/dashboard/key-usage.js";
import type { Db } from "./database.js";
import { inTransaction } from "./transaction.js";

const KeyUsageRowSchema = z.object({
  credential_id: z.string(),
  day: z.string(),
  requests: z.int().min(0),
  tokens_in: z.int().min(0),
  tokens_out: z.int().min(0),
});
export type KeyUsageRow = z.infer<typeof KeyUsageRowSchema>;

/**
 * How far the written counts reach: a time, and the tasks of that same millisecond that are in (two
 * tasks can share one, with only the first written). One mark for admissions (their requests), one for
 * ends (their tokens); a restart after a crash counts what the journal has after them.
 */
export const CountedThroughSchema = z.object({ at_ms: z.number(), task_ids: z.array(z.string()) });
export type CountedThrough = z.infer<typeof CountedThroughSchema>;

/** The marks a write moves (each only when given). */
export interface UsageMarks {
  /** The newest admission whose request is counted. */
  admitted?: CountedThrough;
  /** The newest end whose tokens are counted. */
  finished?: CountedThrough;
}

const MARK_KEYS = { admitted: "key_usage_counted_through", finished: "key_usage_finished_through" } as const;

/** What each credential used per UTC day: one row each, added to in batches (key-usage-meter.ts). */
export class KeyUsageStore {
  private readonly addStmt;
  private readonly dayStmt;
  private readonly sinceStmt;
  private readonly markStmt;
  private readonly readMarkStmt;

  constructor(private readonly db: Db) {
    this.addStmt = db.prepare(
      `INSERT INTO key_usage (credential_id, day, requests, tokens_in, tokens_out) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (credential_id, day) DO UPDATE SET requests = requests + excluded.requests, tokens_in = tokens_in + excluded.tokens_in, tokens_out = tokens_out + excluded.tokens_out`,
    );
    this.dayStmt = db.prepare(`SELECT * FROM key_usage WHERE day = ?`);
    this.sinceStmt = db.prepare(`SELECT * FROM key_usage WHERE day >= ? ORDER BY day DESC, credential_id`);
    this.markStmt = db.prepare(`INSERT INTO settings (key, value_json) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value_json = excluded.value_json`);
    this.readMarkStmt = db.prepare(`SELECT value_json FROM settings WHERE key = ?`);
  }

  /** Adds the counts of one day and moves the given marks, all in one transaction. */
  add(day: string, counts: ReadonlyMap<string, UsageCounts>, marks: UsageMarks = {}): void {
    this.addDays(new Map([[day, counts]]), marks);
  }

  /** Adds counts of several days (day → credential → counts) and moves the given marks, all in one transaction. */
  addDays(days: ReadonlyMap<string, ReadonlyMap<string, UsageCounts>>, marks: UsageMarks = {}): void {
    if (marks.admitted === undefined && marks.finished === undefined && [...days.values()].every((counts) => counts.size === 0)) return;
    inTransaction(this.db, () => {
      for (const [day, counts] of days) for (const [credentialId, c] of counts) this.addStmt.run(credentialId, day, c.requests, c.tokens_in, c.tokens_out);
      if (marks.admitted !== undefined) this.markStmt.run(MARK_KEYS.admitted, JSON.stringify(marks.admitted));
      if (marks.finished !== undefined) this.markStmt.run(MARK_KEYS.finished, JSON.stringify(marks.finished));
    });
  }

  /** The admission the written counts run through; null before the first one (or an unreadable mark: nothing is known counted). */
  countedThrough(): CountedThrough | null {
    return this.mark(MARK_KEYS.admitted);
  }

  /** The end whose tokens the written counts run through; null before the first one (or an unreadable mark). */
  finishedThrough(): CountedThrough | null {
    return this.mark(MARK_KEYS.finished);
  }

  private mark(key: string): CountedThrough | null {
    const raw = this.readMarkStmt.get(key) as { value_json?: unknown } | undefined;
    if (typeof raw?.value_json !== "string") return null;
    try {
      const parsed = CountedThroughSchema.safeParse(JSON.parse(raw.value_json));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }

  day(day: string): KeyUsageRow[] {
    return this.dayStmt.all(day).map((r) => KeyUsageRowSchema.parse(r));
  }

  /** Rows from `fromDay` (inclusive) on, newest day first. */
  since(fromDay: string): KeyUsageRow[] {
    return this.sinceStmt.all(fromDay).map((r) => KeyUsageRowSchema.parse(r));
  }
}
