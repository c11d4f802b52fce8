import { setTimeout as sleep } from "node:timers/promises";

// A stall (slow source, paused disk, a process starved of CPU) may be made up for at most this long
// afterwards: the rate over any window of a second or more stays at the cap, and a pull on a busy
// machine still reaches it (at 250 ms, measured 21 % under the cap at load average 25 on 2 cores).
const MAX_CREDIT_MS = 1000;
const MIN_SLEEP_MS = 20;

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
    // Sleep only when ahead by a few ms: fewer, longer sleeps cost less than one per chunk, and the
    // schedule is absolute (bytes so far vs time since start), so the rate is the same.
    if (dueAt > now + MIN_SLEEP_MS) await sleep(dueAt - now, undefined, { signal });
  }
}
