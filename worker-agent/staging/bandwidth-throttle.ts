import { setTimeout as sleep } from "node:timers/promises";

// A stall (slow source, paused disk) must not turn into a burst above the cap afterwards.
const MAX_CREDIT_MS = 250;

/**
 * Paces a byte stream to `bytesPerSecond` by sleeping after each chunk until the bytes so far are
 * due; reading stops meanwhile, so TCP back-pressure slows the sender too.
 */
export class BandwidthThrottle {
  private startedAt = performance.now();
  private bytes = 0;

  constructor(private readonly bytesPerSecond: number | null) {}

  /** False when there is no cap: callers may skip consumed() (and its promise) per chunk. */
  get limited(): boolean {
    return this.bytesPerSecond !== null;
  }

  async consumed(n: number, signal: AbortSignal): Promise<void> {
    if (this.bytesPerSecond === null) return;
    this.bytes += n;
    const now = performance.now();
    const dueAt = this.startedAt + (this.bytes / this.bytesPerSecond) * 1000;
    if (dueAt < now - MAX_CREDIT_MS) {
      this.startedAt = now - MAX_CREDIT_MS;
      this.bytes = Math.round((MAX_CREDIT_MS / 1000) * this.bytesPerSecond);
      return;
    }
    if (dueAt > now) await sleep(dueAt - now, undefined, { signal });
  }
}
