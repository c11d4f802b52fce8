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

/** What each credential used per UTC day: one row each, added to in batches (key-usage-meter.ts). */
export class KeyUsageStore {
  private readonly addStmt;
  private readonly dayStmt;
  private readonly sinceStmt;

  constructor(private readonly db: Db) {
    this.addStmt = db.prepare(
      `INSERT INTO key_usage (credential_id, day, requests, tokens_in, tokens_out) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (credential_id, day) DO UPDATE SET requests = requests + excluded.requests, tokens_in = tokens_in + excluded.tokens_in, tokens_out = tokens_out + excluded.tokens_out`,
    );
    this.dayStmt = db.prepare(`SELECT * FROM key_usage WHERE day = ?`);
    this.sinceStmt = db.prepare(`SELECT * FROM key_usage WHERE day >= ? ORDER BY day DESC, credential_id`);
  }

  /** Adds the counts of one day, all in one transaction. */
  add(day: string, counts: ReadonlyMap<string, UsageCounts>): void {
    if (counts.size === 0) return;
    inTransaction(this.db, () => {
      for (const [credentialId, c] of counts) this.addStmt.run(credentialId, day, c.requests, c.tokens_in, c.tokens_out);
    });
  }

  day(day: string): KeyUsageRow[] {
    return this.dayStmt.all(day).map((r) => KeyUsageRowSchema.parse(r));
  }

  /** Rows from `fromDay` (inclusive) on, newest day first. */
  since(fromDay: string): KeyUsageRow[] {
    return this.sinceStmt.all(fromDay).map((r) => KeyUsageRowSchema.parse(r));
  }
}
