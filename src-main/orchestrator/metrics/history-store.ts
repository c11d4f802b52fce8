import type { Db } from "../db/database.js";
import { inTransaction } from "../db/transaction.js";

/** Tier 0 keeps the recorder's step for an hour; tier 1 keeps one-minute means for a day. */
export const HISTORY_TIERS = [
  { tier: 0, retainMs: 3_600_000 },
  { tier: 1, retainMs: 24 * 3_600_000, stepMs: 60_000 },
] as const;
/** Series written per tick at most: bounds the table at MAX_SERIES × points per tier. */
export const MAX_SERIES = 20_000;
/**
 * Each series' points are written in chunks of up to FLUSH_GROUPS points: the series are spread over
 * FLUSH_GROUPS groups, and each write stores one group's pending points, so every write call stores
 * about 1/FLUSH_GROUPS of the series (no burst) and a point waits at most FLUSH_GROUPS steps in memory.
 */
export const FLUSH_GROUPS = 12;

export interface HistoryRow {
  series: string;
  t: number;
  v: number;
}

interface Pending {
  t: number[];
  v: number[];
}

/** Points a series holds in memory at most (several flush turns' worth). */
const MAX_PENDING_POINTS = 4 * FLUSH_GROUPS;

/** 16 bytes per point: its time and value as float64 (times are integers below 2^53, exact). */
const POINT_BYTES = 16;

/**
 * The Metrics view's downsampled history in SQLite. Its table is created here (IF NOT EXISTS)
 * rather than as a numbered migration: it is a cache that may be dropped at any time, and it must
 * not take a migration slot other features' schema changes depend on.
 *
 * Points are kept as chunks, one row per series and up to FLUSH_GROUPS points, not one row per point:
 * with 1,000 nodes sending telemetry a step is ~12,000 points, and a row per point (the former
 * `metric_history` table, keyed by series then time) cost ~4 µs per insert plus one dirtied B-tree
 * page per series per step once the table outgrew them: 45 → 180 ms of CPU per step within ten
 * minutes (docs/PERFORMANCE.md, "Eighth heartbeat pass"). The points not stored yet are read from
 * memory by `query`, so what it returns does not depend on when chunks are written; `flush` stores
 * them all (at shutdown). A crash loses at most FLUSH_GROUPS steps of this cache.
 */
export class MetricsHistoryStore {
  /** pending[tier][group]: series → points not stored yet. */
  private readonly pending = new Map<number, Map<string, Pending>[]>();
  private readonly writes = new Map<number, number>();

  constructor(private readonly db: Db) {
    db.exec(`DROP TABLE IF EXISTS metric_history;
     CREATE TABLE IF NOT EXISTS metric_chunks (
       tier INTEGER NOT NULL,
       series TEXT NOT NULL,
       first_ms INTEGER NOT NULL,
       last_ms INTEGER NOT NULL,
       points BLOB NOT NULL,
       PRIMARY KEY (tier, series, first_ms)
     ) WITHOUT ROWID;
     CREATE INDEX IF NOT EXISTS metric_chunks_by_end ON metric_chunks(tier, last_ms);`);
  }

  /** Adds one step's values (non-finite ones skipped; a second value for the same series and time replaces the first). */
  write(tier: number, atMs: number, values: ReadonlyMap<string, number>): void {
    const groups = this.groupsOf(tier);
    let n = 0;
    for (const [series, value] of values) {
      if (n++ >= MAX_SERIES) break;
      if (!Number.isFinite(value)) continue;
      const group = groups[groupOf(series)] as Map<string, Pending>;
      let p = group.get(series);
      if (p === undefined) {
        p = { t: [], v: [] };
        group.set(series, p);
      }
      const last = p.t.length - 1;
      if (last >= 0 && p.t[last] === atMs) p.v[last] = value;
      else {
        // While the database refuses writes (a full disk), a series keeps only its latest points.
        if (p.t.length >= MAX_PENDING_POINTS) {
          p.t.shift();
          p.v.shift();
        }
        p.t.push(atMs);
        p.v.push(value);
      }
    }
    const turn = this.writes.get(tier) ?? 0;
    this.writes.set(tier, turn + 1);
    this.store(tier, [turn % FLUSH_GROUPS]);
  }

  /** Stores every pending point (before the database closes). */
  flush(): void {
    for (const tier of this.pending.keys()) this.store(tier, Array.from({ length: FLUSH_GROUPS }, (_, g) => g));
  }

  prune(nowMs: number): void {
    for (const { tier, retainMs } of HISTORY_TIERS) this.db.prepare("DELETE FROM metric_chunks WHERE tier = ? AND last_ms < ?").run(tier, nowMs - retainMs);
  }

  /** Points of the series that start with `prefix`, from `fromMs` on, averaged into buckets of `bucketMs`; ordered by series, then time. */
  query(tier: number, prefix: string, fromMs: number, bucketMs: number): HistoryRow[] {
    const end = `${prefix}\uffff`;
    const buckets = new Map<string, Map<number, { sum: number; n: number }>>();
    const add = (series: string, t: number, v: number): void => {
      if (t < fromMs) return;
      let bySeries = buckets.get(series);
      if (bySeries === undefined) {
        bySeries = new Map();
        buckets.set(series, bySeries);
      }
      const b = Math.trunc(t / bucketMs) * bucketMs;
      const acc = bySeries.get(b);
      if (acc === undefined) bySeries.set(b, { sum: v, n: 1 });
      else {
        acc.sum += v;
        acc.n++;
      }
    };
    const rows = this.db.prepare("SELECT series, points FROM metric_chunks WHERE tier = ? AND series >= ? AND series < ? AND last_ms >= ?").all(tier, prefix, end, fromMs) as { series: string; points: ArrayBuffer | Uint8Array }[];
    for (const row of rows) {
      // libsql returns a BLOB as an ArrayBuffer.
      const view = row.points instanceof ArrayBuffer ? new DataView(row.points) : new DataView(row.points.buffer, row.points.byteOffset, row.points.byteLength);
      for (let at = 0; at + POINT_BYTES <= view.byteLength; at += POINT_BYTES) add(row.series, view.getFloat64(at, true), view.getFloat64(at + 8, true));
    }
    for (const group of this.pending.get(tier) ?? []) {
      for (const [series, p] of group) {
        if (series < prefix || series >= end) continue;
        for (let i = 0; i < p.t.length; i++) add(series, p.t[i] as number, p.v[i] as number);
      }
    }
    const out: HistoryRow[] = [];
    for (const series of [...buckets.keys()].sort(binaryOrder)) {
      const bySeries = buckets.get(series) as Map<number, { sum: number; n: number }>;
      for (const t of [...bySeries.keys()].sort((a, b) => a - b)) {
        const { sum, n } = bySeries.get(t) as { sum: number; n: number };
        out.push({ series, t, v: sum / n });
      }
    }
    return out;
  }

  /**
   * The first `limit` series (in the query's order) that start with `prefix`, end with `|field` and have a
   * point from `fromMs` on: what a page drawing a few lines of a large prefix needs, without reading the
   * prefix's every point (at 1,000 nodes `node|` is 5,000 series). Stored chunks are walked in key order and
   * the walk stops at `limit`; series still in memory are merged in.
   */
  firstSeries(tier: number, prefix: string, field: string, fromMs: number, limit: number): string[] {
    const end = `${prefix}\uffff`;
    const suffix = `|${field}`;
    const stored = this.db
      .prepare("SELECT DISTINCT series FROM metric_chunks WHERE tier = ? AND series >= ? AND series < ? AND last_ms >= ? AND substr(series, -length(?)) = ? ORDER BY series LIMIT ?")
      .all(tier, prefix, end, fromMs, suffix, suffix, limit) as { series: string }[];
    const found = new Set(stored.map((r) => r.series));
    for (const group of this.pending.get(tier) ?? []) {
      for (const [series, p] of group) {
        if (series < prefix || series >= end || !series.endsWith(suffix) || found.has(series)) continue;
        if (p.t.some((t) => t >= fromMs)) found.add(series);
      }
    }
    return [...found].sort(binaryOrder).slice(0, limit);
  }

  /** `query` for exactly these series (rows in series order, then time). */
  querySeries(tier: number, series: readonly string[], fromMs: number, bucketMs: number): HistoryRow[] {
    return [...series].sort(binaryOrder).flatMap((name) => this.query(tier, name, fromMs, bucketMs).filter((r) => r.series === name));
  }

  /** Points held, stored and pending. */
  count(): number {
    const row = this.db.prepare("SELECT COALESCE(SUM(length(points)), 0) AS bytes FROM metric_chunks").get() as { bytes: number | bigint };
    let n = Number(row.bytes) / POINT_BYTES;
    for (const groups of this.pending.values()) for (const group of groups) for (const p of group.values()) n += p.t.length;
    return n;
  }

  private groupsOf(tier: number): Map<string, Pending>[] {
    let groups = this.pending.get(tier);
    if (groups === undefined) {
      groups = Array.from({ length: FLUSH_GROUPS }, () => new Map<string, Pending>());
      this.pending.set(tier, groups);
    }
    return groups;
  }

  /** One transaction for the chunks of these groups; they leave memory once it commits. */
  private store(tier: number, groupIndexes: readonly number[]): void {
    const groups = this.groupsOf(tier);
    if (groupIndexes.every((g) => (groups[g] as Map<string, Pending>).size === 0)) return;
    const insert = this.db.prepare("INSERT OR REPLACE INTO metric_chunks (tier, series, first_ms, last_ms, points) VALUES (?, ?, ?, ?, ?)");
    inTransaction(this.db, () => {
      for (const g of groupIndexes) {
        for (const [series, p] of groups[g] as Map<string, Pending>) {
          const points = Buffer.allocUnsafe(p.t.length * POINT_BYTES);
          let first = Infinity;
          let last = -Infinity;
          for (let i = 0; i < p.t.length; i++) {
            const t = p.t[i] as number;
            points.writeDoubleLE(t, i * POINT_BYTES);
            points.writeDoubleLE(p.v[i] as number, i * POINT_BYTES + 8);
            if (t < first) first = t;
            if (t > last) last = t;
          }
          insert.run(tier, series, first, last, points);
        }
      }
    });
    for (const g of groupIndexes) (groups[g] as Map<string, Pending>).clear();
  }
}

/** SQLite's BINARY order for the ASCII series keys (code unit order; localeCompare would differ). */
function binaryOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A series' flush group: a small string hash, so a series keeps its group while it exists. */
function groupOf(series: string): number {
  let h = 2166136261;
  for (let i = 0; i < series.length; i++) h = Math.imul(h ^ series.charCodeAt(i), 16777619);
  return (h >>> 0) % FLUSH_GROUPS;
}
