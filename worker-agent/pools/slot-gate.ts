// A pool's N slots as a counting semaphore with a bounded FIFO of waiters. Waiting is bounded in
// count (queueLimit: more are refused at once) and in time (timeoutMs); an AbortSignal (cancel or
// client disconnect) removes a waiter without ever taking a slot.

export type SlotWaitFailure = "timeout" | "queue_full" | "aborted" | "closed";
export type SlotAcquireResult = { ok: true; lease: SlotLease } | { ok: false; reason: SlotWaitFailure; detail?: string };

export interface SlotLease {
  /** Idempotent. */
  release(): void;
}

interface Waiter {
  grant(lease: SlotLease): void;
  fail(reason: SlotWaitFailure, detail?: string): void;
}

export class SlotGate {
  private busyCount = 0;
  private readonly waiters: Waiter[] = [];
  /** Told the busy count after every change (the engine's CPU pinning follows it). */
  private busyListener: ((busy: number) => void) | undefined;

  constructor(
    private totalSlots: number,
    private readonly queueLimit: number,
  ) {}

  get total(): number {
    return this.totalSlots;
  }
  get busy(): number {
    return this.busyCount;
  }
  get free(): number {
    return Math.max(0, this.totalSlots - this.busyCount);
  }
  get waiting(): number {
    return this.waiters.length;
  }

  /** Calls `listener` with the busy count whenever it changes. */
  onBusyChange(listener: (busy: number) => void): void {
    this.busyListener = listener;
  }

  acquire(signal: AbortSignal, timeoutMs: number): Promise<SlotAcquireResult> {
    if (signal.aborted) return Promise.resolve({ ok: false, reason: "aborted" });
    if (this.busyCount < this.totalSlots && this.waiters.length === 0) return Promise.resolve({ ok: true, lease: this.newLease() });
    if (this.waiters.length >= this.queueLimit) return Promise.resolve({ ok: false, reason: "queue_full" });
    return new Promise((resolve) => {
      let settled = false;
      const cleanup = (): void => {
        settled = true;
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) this.waiters.splice(at, 1);
      };
      const waiter: Waiter = {
        grant: (lease) => {
          if (settled) return lease.release();
          cleanup();
          resolve({ ok: true, lease });
        },
        fail: (reason, detail) => {
          if (settled) return;
          cleanup();
          resolve(detail === undefined ? { ok: false, reason } : { ok: false, reason, detail });
        },
      };
      const onAbort = (): void => waiter.fail("aborted");
      const timer = setTimeout(() => waiter.fail("timeout"), timeoutMs);
      signal.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Fails every waiter (engine crashed, pool draining); leases already granted stay valid. */
  failWaiters(reason: SlotWaitFailure, detail: string): void {
    for (const waiter of [...this.waiters]) waiter.fail(reason, detail);
  }

  /** A reload may change the slot count; excess busy leases drain naturally. */
  resize(total: number): void {
    this.totalSlots = total;
    this.grantWaiting();
  }

  private newLease(): SlotLease {
    this.busyCount++;
    this.busyListener?.(this.busyCount);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.busyCount--;
        this.grantWaiting();
        this.busyListener?.(this.busyCount);
      },
    };
  }

  private grantWaiting(): void {
    while (this.busyCount < this.totalSlots && this.waiters.length > 0) {
      const waiter = this.waiters.shift();
      waiter?.grant(this.newLease());
    }
  }
}
