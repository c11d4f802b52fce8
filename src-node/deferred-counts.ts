import type { Counter } from "prom-client";

/**
 * Counts for a two-label prom-client counter kept in plain Maps and added to the counter when it is
 * read (its `collect`, before every scrape and every read of its values). prom-client's own `inc`
 * builds and hashes a label key on every call (sorted label names, a string per call): ~3 µs on the
 * 1,000-agent fleet's 500 heartbeats a second, 1.7 % of the orchestrator's busy time for one counter
 * (docs/PERFORMANCE.md, sixth pass). Readers see the same series and values as with `inc`.
 */
export class DeferredCounts {
  /** first label's value → second label's value → events not yet added to the counter. */
  private readonly pending = new Map<string, Map<string, { n: number }>>();

  constructor(
    private readonly firstLabel: string,
    private readonly secondLabel: string,
  ) {}

  /** One event of the series (`first`, `second`) names. */
  add(first: string, second: string): void {
    let inner = this.pending.get(first);
    if (inner === undefined) this.pending.set(first, (inner = new Map()));
    const entry = inner.get(second);
    if (entry === undefined) inner.set(second, { n: 1 });
    else entry.n++;
  }

  /** Adds what was counted since the last flush to `counter` (from its collect). */
  flushInto(counter: Counter): void {
    for (const [first, inner] of this.pending) {
      for (const [second, entry] of inner) {
        if (entry.n === 0) continue;
        counter.inc({ [this.firstLabel]: first, [this.secondLabel]: second }, entry.n);
        entry.n = 0;
      }
    }
  }
}
