export interface AuthFailureLimits {
  /** Failures one client address may have in a window before further failures are refused with 429. */
  maxFailures: number;
  windowMs: number;
  /** Addresses tracked at once; the oldest are forgotten first (memory stays bounded under a flood). */
  maxTrackedAddresses: number;
}

export const DEFAULT_AUTH_FAILURE_LIMITS: AuthFailureLimits = { maxFailures: 100, windowMs: 60_000, maxTrackedAddresses: 10_000 };

export type AuthFailureVerdict = { blocked: false } | { blocked: true; retryAfterMs: number };

interface Window {
  startMs: number;
  failures: number;
}

/**
 * Counts failed authentications per client address in fixed windows. It only ever sees failures:
 * a valid credential is checked first and always passes, so a flood from one address (or a NAT it
 * shares) never slows a client that holds a good token.
 */
export class AuthFailureLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly limits: AuthFailureLimits = DEFAULT_AUTH_FAILURE_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  recordFailure(address: string): AuthFailureVerdict {
    const now = this.now();
    let window = this.windows.get(address);
    if (window === undefined || now - window.startMs >= this.limits.windowMs) {
      this.windows.delete(address);
      this.makeRoom(now);
      window = { startMs: now, failures: 0 };
      this.windows.set(address, window);
    }
    window.failures++;
    if (window.failures <= this.limits.maxFailures) return { blocked: false };
    return { blocked: true, retryAfterMs: Math.max(1, window.startMs + this.limits.windowMs - now) };
  }

  get trackedAddresses(): number {
    return this.windows.size;
  }

  private makeRoom(now: number): void {
    if (this.windows.size < this.limits.maxTrackedAddresses) return;
    for (const [address, window] of this.windows) if (now - window.startMs >= this.limits.windowMs) this.windows.delete(address);
    // Still full: forget the longest-tracked addresses (insertion order).
    for (const address of this.windows.keys()) {
      if (this.windows.size < this.limits.maxTrackedAddresses) break;
      this.windows.delete(address);
    }
  }
}
