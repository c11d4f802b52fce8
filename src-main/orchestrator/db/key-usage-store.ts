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
 * The newest admission whose request is in the written counts: its time, and the tasks admitted at
 * that same millisecond (two admissions can share one, with the count of only the first written).
 * A restart after a crash counts the requests of the unfinished tasks admitted after it.
 */
export const CountedThroughSchema = z.object({ at_ms: z.number(), task_ids: z.array(z.string()) });
export type CountedThrough = z.infer<typeof CountedThroughSchema>;

const COUNTED_THROUGH_KEY = "key_usage_counted_through";

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
    this.markStmt = db.prepare(`INSERT INTO settings (key, value_json) VALUES ('${COUNTED_THROUGH_KEY}', ?) ON CONFLICT(key) DO UPDATE SET value_json = excluded.value_json`);
    this.readMarkStmt = db.prepare(`SELECT value_json FROM settings WHERE key = '${COUNTED_THROUGH_KEY}'`);
  }

  /** Adds the counts of one day and, when given, the admission they count through, all in one transaction. */
  add(day: string, counts: ReadonlyMap<string, UsageCounts>, countedThrough?: CountedThrough): void {
    this.addDays(new Map([[day, counts]]), countedThrough);
  }

  /** Adds counts of several days (day → credential → counts) and the mark, all in one transaction. */
  addDays(days: ReadonlyMap<string, ReadonlyMap<string, UsageCounts>>, countedThrough?: CountedThrough): void {
    if (countedThrough === undefined && [...days.values()].every((counts) => counts.size === 0)) return;
    inTransaction(this.db, () => {
      for (const [day, counts] of days) for (const [credentialId, c] of counts) this.addStmt.run(credentialId, day, c.requests, c.tokens_in, c.tokens_out);
      if (countedThrough !== undefined) this.markStmt.run(JSON.stringify(countedThrough));
    });
  }

  /** The admission the written counts run through; null before the first one (or an unreadable mark: nothing is known counted). */
  countedThrough(): CountedThrough | null {
    const raw = this.readMarkStmt.get() as { value_json?: unknown } | undefined;
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
