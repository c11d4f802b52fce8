// `npm start` (the headless HOME profile) prints its URL when the cluster can answer, not merely when
// the port is open: it waits on the orchestrator's readiness, the very answer GET /ready gives (asked
// in process, so the wait does not fill the log with 503 request lines).

export type ReadyOutcome = { ready: true; elapsedMs: number } | { ready: false; reason: string; elapsedMs: number };

export interface AwaitReadyOptions {
  /** null when ready, else why not (Orchestrator.notReadyReason). */
  notReadyReason(): string | null;
  /** Give up after this long and report the last reason. */
  timeoutMs: number;
  /** Poll period. */
  intervalMs?: number;
  /** How often to repeat an unchanged reason while waiting (the first report is at once). */
  progressEveryMs?: number;
  /** One progress report: why it is not ready yet and for how long it has waited. */
  onProgress(reason: string, elapsedMs: number): void;
  /** The clock (tests pass their own). */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** Polls readiness until it says ready or `timeoutMs` passes; reports at once, on a change of reason, and every progressEveryMs. */
export async function awaitReady(opts: AwaitReadyOptions): Promise<ReadyOutcome> {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const started = now();
  const interval = opts.intervalMs ?? 250;
  const progressEvery = opts.progressEveryMs ?? 5000;
  let lastReport: number | undefined;
  let lastReason = "";
  for (;;) {
    const reason = opts.notReadyReason();
    const elapsedMs = now() - started;
    if (reason === null) return { ready: true, elapsedMs };
    if (elapsedMs >= opts.timeoutMs) return { ready: false, reason, elapsedMs };
    if (lastReport === undefined || reason !== lastReason || elapsedMs - lastReport >= progressEvery) {
      opts.onProgress(reason, elapsedMs);
      lastReport = elapsedMs;
      lastReason = reason;
    }
    await sleep(Math.min(interval, opts.timeoutMs - elapsedMs));
  }
}
