import { describe, expect, it } from "vitest";
import { tempDatabases } from "../../../test-support/temp-database.js";
import { FLUSH_GROUPS, HISTORY_TIERS, MetricsHistoryStore, type HistoryRow } from "./history-store.js";

const openDb = tempDatabases("llorch-history-");

/** What the store answered when it kept one row per point: INSERT OR REPLACE by (tier, series, time), then AVG per bucket. */
class Reference {
  private readonly points = new Map<string, number>();

  write(tier: number, atMs: number, values: ReadonlyMap<string, number>): void {
    for (const [series, v] of values) if (Number.isFinite(v)) this.points.set(JSON.stringify([tier, series, atMs]), v);
  }

  query(tier: number, prefix: string, fromMs: number, bucketMs: number): HistoryRow[] {
    const acc = new Map<string, { series: string; t: number; sum: number; n: number }>();
    for (const [key, v] of this.points) {
      const [pt, series, at] = JSON.parse(key) as [number, string, number];
      if (pt !== tier || at < fromMs || series < prefix || series >= `${prefix}\uffff`) continue;
      const t = Math.trunc(at / bucketMs) * bucketMs;
      const k = JSON.stringify([series, t]);
      const a = acc.get(k) ?? { series, t, sum: 0, n: 0 };
      a.sum += v;
      a.n++;
      acc.set(k, a);
    }
    return [...acc.values()].sort((a, b) => (a.series < b.series ? -1 : a.series > b.series ? 1 : a.t - b.t)).map((a) => ({ series: a.series, t: a.t, v: a.sum / a.n }));
  }
}

function expectSame(actual: HistoryRow[], expected: HistoryRow[]): void {
  expect(actual.map((r) => [r.series, r.t])).toStrictEqual(expected.map((r) => [r.series, r.t]));
  actual.forEach((r, i) => expect(r.v).toBeCloseTo((expected[i] as HistoryRow).v, 9));
}

describe("metrics history in chunks", () => {
  it("answers every query as one row per point did, before and after its chunks are stored, and across a restart", () => {
    const db = openDb();
    const store = new MetricsHistoryStore(db);
    const ref = new Reference();
    let seed = 7;
    const rand = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    const step = 5000;
    const t0 = 1_795_000_000_000;
    const prefixes = ["", "node|", "node|n-03|", "gpu|", "cluster|", "pool|p-1", "zzz"];
    for (let s = 0; s < 40; s++) {
      const at = t0 + s * step;
      const values = new Map<string, number>();
      // Nodes come and go; some values are not finite (skipped); the cluster series every step.
      for (let n = 0; n < 12; n++) {
        if (rand(5) === 0) continue;
        const id = `n-${String(n).padStart(2, "0")}`;
        values.set(`node|${id}|cpu`, rand(1000) / 10);
        values.set(`node|${id}|mem_used`, rand(1_000_000) * 4096);
        values.set(`gpu|${id}|0|temp`, rand(3) === 0 ? Number.NaN : 30 + rand(50));
      }
      values.set("cluster||cpu_mean", rand(100));
      values.set(`pool|p-${rand(3)}|tokens_per_s`, rand(500) / 7);
      store.write(0, at, values);
      ref.write(0, at, values);
      if (s % 12 === 11) {
        const means = new Map([...values].map(([k, v]) => [k, v / 2]));
        store.write(1, at, means);
        ref.write(1, at, means);
      }
      if (s % 5 === 4) {
        for (const prefix of prefixes) {
          for (const tier of [0, 1]) {
            const from = t0 + rand(s + 1) * step;
            const bucket = [5000, 15000, 60000][rand(3)] as number;
            expectSame(store.query(tier, prefix, from, bucket), ref.query(tier, prefix, from, bucket));
          }
        }
      }
    }
    // The same step written twice: the second value replaces the first, as INSERT OR REPLACE did.
    const again = new Map([["cluster||cpu_mean", 1234]]);
    store.write(0, t0 + 39 * step, again);
    ref.write(0, t0 + 39 * step, again);
    expectSame(store.query(0, "cluster|", t0, step), ref.query(0, "cluster|", t0, step));

    const held = store.count();
    store.flush();
    expect(store.count()).toBe(held);
    const restarted = new MetricsHistoryStore(db);
    for (const prefix of prefixes) for (const tier of [0, 1]) expectSame(restarted.query(tier, prefix, t0, step), ref.query(tier, prefix, t0, step));
  });

  it("stores a series' points a chunk at a time, about one group of series per write", () => {
    const db = openDb();
    const store = new MetricsHistoryStore(db);
    const series = 1200;
    const steps = 3 * FLUSH_GROUPS;
    const chunks = () => Number((db.prepare("SELECT COUNT(*) AS n FROM metric_chunks").get() as { n: number }).n);
    let before = 0;
    for (let s = 0; s < steps; s++) {
      store.write(0, 1_000 + s * 5000, new Map(Array.from({ length: series }, (_, i) => [`node|n${i}|cpu`, s])));
      const added = chunks() - before;
      before += added;
      // One of FLUSH_GROUPS hash groups per write: never all series at once, never none for long.
      expect(added).toBeLessThan(series / 4);
    }
    // Every point is held, in far fewer rows than points (one per series per FLUSH_GROUPS steps, after the first turn).
    expect(store.count()).toBe(series * steps);
    expect(chunks()).toBeLessThanOrEqual(series * (steps / FLUSH_GROUPS + 1));
    expect(chunks()).toBeGreaterThanOrEqual(series * (steps / FLUSH_GROUPS - 1));
  });

  it("prunes chunks that ended before the tier's retention and keeps what a view of that range reads", () => {
    const db = openDb();
    const store = new MetricsHistoryStore(db);
    const ref = new Reference();
    const tier0 = HISTORY_TIERS[0];
    const step = 60_000;
    let now = 1_795_000_000_000;
    for (let s = 0; s < 120; s++, now += step) {
      const values = new Map([["node|a|cpu", s], ["node|b|cpu", 2 * s]]);
      store.write(0, now, values);
      ref.write(0, now, values);
    }
    store.flush();
    store.prune(now);
    const oldest = db.prepare("SELECT MIN(last_ms) AS m FROM metric_chunks WHERE tier = 0").get() as { m: number };
    expect(oldest.m).toBeGreaterThanOrEqual(now - tier0.retainMs);
    expect(store.count()).toBeLessThan(240);
    expectSame(store.query(0, "node|", now - tier0.retainMs, step), ref.query(0, "node|", now - tier0.retainMs, step));
  });

  it("replaces the former one-row-per-point table (a cache) instead of reading it", () => {
    const db = openDb();
    db.exec("CREATE TABLE metric_history (tier INTEGER NOT NULL, series TEXT NOT NULL, at_ms INTEGER NOT NULL, value REAL NOT NULL, PRIMARY KEY (tier, series, at_ms)) WITHOUT ROWID");
    db.prepare("INSERT INTO metric_history VALUES (0, 'node|a|cpu', 1, 2)").run();
    new MetricsHistoryStore(db);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'metric_history'").get()).toBeUndefined();
  });
});
