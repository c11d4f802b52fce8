/** The outlier settings (orchestrator config), read at each failure so a settings change applies at once. */
export interface EjectionSettings {
  /** Failures before the first token in a row that eject a pool (0 = off). */
  consecutive: number;
  base_ms: number;
  max_ms: number;
}

/** What a failure did: null, or the ejection it started (for the log line, the node event and the metric). */
export interface Ejection {
  pool_id: string;
  /** Steady-clock end of the ejection. */
  until_ms: number;
  duration_ms: number;
  /** Ejections of this pool in a row (the multiplier of the base time). */
  ejections: number;
  /** The sentence placement shows for the pool while it is out. */
  reason: string;
}

interface PoolHealth {
  failures: number;
  /** Ejections in a row (forgotten after max_ms without one). */
  ejections: number;
  /** Steady-clock end of the current or last ejection (0: never ejected). */
  until_ms: number;
  reason: string;
  /** The ejection ended and no attempt succeeded since: the next failure ejects again at once. */
  trial: boolean;
}

/**
 * Passive outlier detection for pools (Envoy's outlier ejection): failures before the first token in a
 * row eject a pool from placement for base × (ejections in a row) ms, capped at max. A pool that lies
 * about its capacity, answers errors or holds tasks with keep-alives wins placement again and again,
 * and each task it takes pays one failed attempt; ejected, it gets none until its time is up. Then one
 * task decides: a failure ejects it again (longer), a first token puts it back to normal.
 *
 * `reasonFor` is what placement's candidate snapshot asks for every pool: one Map lookup, no allocation
 * (the sentence is built once, when the pool is ejected). Whether an ejected pool is skipped is for
 * placement to decide: never when it is the last that could serve the model (place-task.ts).
 */
export class PoolEjections {
  private readonly pools = new Map<string, PoolHealth>();

  constructor(
    private readonly settings: () => EjectionSettings,
    private readonly now: () => number,
    /** Wall-clock time for the sentence ("ejected until 08:01:02Z"); the steady clock decides. */
    private readonly wallNow: () => number = Date.now,
  ) {}

  /** An attempt on the pool failed before its first token (the failures that re-place a task). */
  failed(poolId: string): Ejection | null {
    const s = this.settings();
    if (s.consecutive <= 0) return null;
    const now = this.now();
    const h = this.pools.get(poolId) ?? { failures: 0, ejections: 0, until_ms: 0, reason: "", trial: false };
    this.pools.set(poolId, h);
    // Attempts placed before the ejection that fail while it lasts say nothing new.
    if (h.until_ms > now) return null;
    // A pool that stayed out of trouble for max_ms after its last ejection starts over at the base time.
    if (h.ejections > 0 && now - h.until_ms > s.max_ms) h.ejections = 0;
    h.failures++;
    if (!h.trial && h.failures < s.consecutive) return null;
    const failures = h.failures;
    h.ejections++;
    const duration = Math.min(s.base_ms * h.ejections, s.max_ms);
    h.until_ms = now + duration;
    h.failures = 0;
    h.trial = true;
    const what = h.ejections > 1 && failures < s.consecutive ? `its trial task failed before the first token (ejection ${h.ejections} in a row)` : `${failures} failures in a row before the first token`;
    h.reason = `pool ejected until ${new Date(this.wallNow() + duration).toISOString()} after ${what}`;
    return { pool_id: poolId, until_ms: h.until_ms, duration_ms: duration, ejections: h.ejections, reason: h.reason };
  }

  /**
   * The pool sent a first token (or answered): its count starts over and a trial ends well. During an
   * ejection (the only pool that can serve a model keeps getting tasks) it ends the ejection: the pool works.
   */
  succeeded(poolId: string): void {
    const h = this.pools.get(poolId);
    if (h === undefined) return;
    h.failures = 0;
    h.trial = false;
    const now = this.now();
    if (h.until_ms > now) h.until_ms = now;
    // Nothing left to remember: keeps the map to pools that are failing now or were ejected.
    if (h.ejections === 0) this.pools.delete(poolId);
  }

  /** Why placement should skip the pool now (its sentence), or undefined: O(1), allocation-free. */
  reasonFor(poolId: string, now: number): string | undefined {
    const h = this.pools.get(poolId);
    return h !== undefined && h.until_ms > now ? h.reason : undefined;
  }

  /** The pool's ejection as the API shows it (its end in wall-clock ms), or null when it is not ejected now. */
  status(poolId: string): { until_ms: number; ejections: number; reason: string } | null {
    const h = this.pools.get(poolId);
    const now = this.now();
    return h !== undefined && h.until_ms > now ? { until_ms: Math.round(this.wallNow() + (h.until_ms - now)), ejections: h.ejections, reason: h.reason } : null;
  }

  /** A pool that left the cluster (its node deregistered or was forgotten). */
  forget(poolId: string): void {
    this.pools.delete(poolId);
  }
}
