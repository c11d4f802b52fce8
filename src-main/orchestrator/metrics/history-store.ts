import type { Db } from "../db/database.js";
import { inTransaction } from "../db/transaction.js";

/** Tier 0 keeps the recorder's step for an hour; tier 1 keeps one-minute means for a day. */
export const HISTORY_TIERS = [
  { tier: 0, retainMs: 3_600_000 },
  { tier: 1, retainMs: 24 * 3_600_000, stepMs: 60_000 },
] as const;
/** Series written per tick at most: bounds the table at MAX_SERIES × points per tier. */
export const MAX_SERIES = 20_000;

export interface HistoryRow {
  series: string;
  t: number;
  v: number;
}

/**
 * The Metrics view's downsampled history in SQLite. Its table is created here (IF NOT EXISTS)
 * rather than as a numbered migration: it is a cache that may be dropped at any time, and it must
 * not take a migration slot other features' schema changes depend on.
 */
export class MetricsHistoryStore {
  constructor(private readonly db: Db) {
    db.exec(`CREATE TABLE IF NOT EXISTS metric_history (
       tier INTEGER NOT NULL,
       series TEXT NOT NULL,
       at_ms INTEGER NOT NULL,
       value REAL NOT NULL,
       PRIMARY KEY (tier, series, at_ms)
     ) WITHOUT ROWID;
     CREATE INDEX IF NOT EXISTS metric_history_by_time ON metric_history(tier, at_ms);`);
  }

  write(tier: number, atMs: number, values: ReadonlyMap<string, number>): void {
    const insert = this.db.prepare("INSERT OR REPLACE INTO metric_history (tier, series, at_ms, value) VALUES (?, ?, ?, ?)");
    inTransaction(this.db, () => {
      let n = 0;
      for (const [series, value] of values) {
        if (n++ >= MAX_SERIES) break;
        if (Number.isFinite(value)) insert.run(tier, series, atMs, value);
      }
    });
  }

  prune(nowMs: number): void {
    for (const { tier, retainMs } of HISTORY_TIERS) this.db.prepare("DELETE FROM metric_history WHERE tier = ? AND at_ms < ?").run(tier, nowMs - retainMs);
  }

  /** Rows whose series starts with `prefix`, averaged into buckets of `bucketMs`. */
  query(tier: number, prefix: string, fromMs: number, bucketMs: number): HistoryRow[] {
    const rows = this.db
      .prepare(
        `SELECT series, CAST(at_ms / ? AS INTEGER) * ? AS t, AVG(value) AS v FROM metric_history
         WHERE tier = ? AND at_ms >= ? AND series >= ? AND series < ?
         GROUP BY series, t ORDER BY series, t`,
      )
      .all(bucketMs, bucketMs, tier, fromMs, prefix, `${prefix}\uffff`) as { series: string; t: number; v: number }[];
    return rows.map((r) => ({ series: r.series, t: Math.round(Number(r.t)), v: Number(r.v) }));
  }

  count(): number {
    return Number((this.db.prepare("SELECT COUNT(*) AS n FROM metric_history").get() as { n: number }).n);
  }
}
