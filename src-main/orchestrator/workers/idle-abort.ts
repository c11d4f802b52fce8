import { OWN_STALL_MS } from "../../../src-node/own-stall.js";

/**
 * An abort signal that also fires after `ms` without a touch: a worker stream that goes silent
 * (a one-way partition while heartbeats keep the node Online) is given up instead of followed forever.
 * A touch only notes the time (it comes with every chunk of every stream); the timer, when it fires,
 * re-arms itself for what is left of the silence since the last touch. Refreshing the timer per chunk
 * re-inserted it in Node's timer list every time (~3 % of the proxy's busy time at 4,000 tokens/s).
 */
export class IdleAbort {
  readonly signal: AbortSignal;
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout;
  private expired = false;
  private stopped = false;
  private lastTouch: number;
  /** A late timer started the wait over since the last touch (see arm). */
  private forgiven = false;
  /** When the bound for the first progress (see `progressMs`) ends, on the `now` clock; Infinity when none. */
  private progressDueAt: number;
  private stalledOut = false;

  /**
   * @param progressMs when > 0, also fires when no progress() (a token or another answer, not the
   *   stream's start or metrics) came this long after the start, keep-alives or not: a worker that accepts a task
   *   and then only sends keep-alives (a hung engine, a node lying about its capacity) held it for good.
   *   Checked when the silence timer fires anyway, so it costs no timer of its own.
   */
  constructor(
    readonly ms: number,
    parent: AbortSignal,
    private readonly now: () => number = () => performance.now(),
    readonly progressMs = 0,
  ) {
    // The parent's abort is forwarded by hand: AbortSignal.any cost ~2× as much per dispatch (~40 µs
    // more on this box) and tracks its sources for GC. Same reason on the signal as with any().
    this.signal = this.controller.signal;
    if (parent.aborted) this.controller.abort(parent.reason);
    else parent.addEventListener("abort", () => this.controller.abort(parent.reason), { once: true });
    this.lastTouch = now();
    this.progressDueAt = progressMs > 0 ? this.lastTouch + progressMs : Infinity;
    this.timer = this.arm(Math.min(ms, progressMs > 0 ? progressMs : ms));
  }

  /** The stream made progress (past its start): the first-progress bound no longer applies. */
  progress(): void {
    this.progressDueAt = Infinity;
  }

  /** True when the first-progress bound, not silence, ended the stream. */
  get stalled(): boolean {
    return this.expired && this.stalledOut;
  }

  /** Bytes arrived: the silence starts over. */
  touch(): void {
    this.lastTouch = this.now();
    this.forgiven = false;
  }

  /** True when the silence, not the caller, ended the stream. */
  get fired(): boolean {
    return this.expired;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private arm(delay: number): NodeJS.Timeout {
    const dueAt = this.now() + delay;
    const timer = setTimeout(() => {
      if (this.stopped) return;
      // Late by more than OWN_STALL_MS: the silence is ours. The stream gets its whole bound again, from
      // now — once: late again with nothing heard (an orchestrator overloaded throughout), it is judged.
      if (this.now() - dueAt > OWN_STALL_MS && !this.forgiven) {
        this.forgiven = true;
        this.lastTouch = this.now();
        this.timer = this.arm(this.ms);
        return;
      }
      const now = this.now();
      if (now >= this.progressDueAt) {
        this.expired = true;
        this.stalledOut = true;
        this.controller.abort(new Error(`no token from the worker ${this.progressMs} ms after it accepted the task`));
        return;
      }
      const silent = now - this.lastTouch;
      if (silent < this.ms) {
        this.timer = this.arm(Math.min(this.ms - silent, this.progressDueAt - now));
        return;
      }
      this.expired = true;
      this.controller.abort(new Error(`no bytes from the worker for ${this.ms} ms`));
    }, delay);
    timer.unref();
    return timer;
  }
}
