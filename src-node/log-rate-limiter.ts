export interface LogRateLimits {
  /** Lines per key (e.g. a client address) per window. */
  perKey: number;
  /** Lines in total per window, whatever the key: many addresses cannot flood the log either. */
  total: number;
  windowMs: number;
}

export const DEFAULT_LOG_RATE_LIMITS: LogRateLimits = { perKey: 5, total: 50, windowMs: 60_000 };

/** Whether to write this line, and how many were held back since the last written one. */
export type LogDecision = { log: false } | { log: true; suppressed: number };

/**
 * Keeps hostile input from growing the log: per window, a few lines per key and a cap overall.
 * The next line written after a quiet spell says how many were suppressed, so nothing is hidden.
 */
export class LogRateLimiter {
  private windowStartMs = -Infinity;
  private total = 0;
  private readonly perKey = new Map<string, number>();
  private suppressed = 0;

  constructor(
    private readonly limits: LogRateLimits = DEFAULT_LOG_RATE_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  decide(key: string): LogDecision {
    const now = this.now();
    if (now - this.windowStartMs >= this.limits.windowMs) {
      this.windowStartMs = now;
      this.total = 0;
      this.perKey.clear();
    }
    const count = this.perKey.get(key) ?? 0;
    if (count >= this.limits.perKey || this.total >= this.limits.total) {
      this.suppressed++;
      return { log: false };
    }
    // The per-key map is cleared each window and bounded by `total` entries within one.
    this.perKey.set(key, count + 1);
    this.total++;
    const suppressed = this.suppressed;
    this.suppressed = 0;
    return { log: true, suppressed };
  }
}
