/**
 * An abort signal that also fires after `ms` without a touch: a worker stream that goes silent
 * (a one-way partition while heartbeats keep the node Online) is given up instead of followed forever.
 */
export class IdleAbort {
  readonly signal: AbortSignal;
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private expired = false;

  constructor(
    readonly ms: number,
    parent: AbortSignal,
  ) {
    this.signal = AbortSignal.any([parent, this.controller.signal]);
    this.timer = setTimeout(() => {
      this.expired = true;
      this.controller.abort(new Error(`no bytes from the worker for ${ms} ms`));
    }, ms);
    this.timer.unref();
  }

  /** Bytes arrived: the silence starts over. */
  touch(): void {
    if (!this.expired) this.timer.refresh();
  }

  /** True when the silence, not the caller, ended the stream. */
  get fired(): boolean {
    return this.expired;
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}
