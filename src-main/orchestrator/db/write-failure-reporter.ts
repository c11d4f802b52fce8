import type { Logger } from "pino";

/** Reports a database write that failed where the in-memory state stays authoritative (see bestEffort). */
export type WriteFailureReporter = (what: string, err: unknown) => void;

/**
 * Logs failed writes at most once per `intervalMs` for each kind of write, with how many were left
 * out: on a full disk every heartbeat's write fails, and a log line per heartbeat would fill the disk
 * the orchestrator writes its logs to as well.
 */
export function writeFailureReporter(logger: Pick<Logger, "warn">, intervalMs = 10_000, now: () => number = Date.now): WriteFailureReporter {
  const last = new Map<string, { atMs: number; suppressed: number }>();
  return (what, err) => {
    const seen = last.get(what);
    const t = now();
    if (seen !== undefined && t - seen.atMs < intervalMs) {
      seen.suppressed++;
      return;
    }
    logger.warn({ err, write: what, suppressed_since_last: seen?.suppressed ?? 0 }, `database write failed (${what}); the orchestrator goes on from memory and writes again with the next change`);
    last.set(what, { atMs: t, suppressed: 0 });
  };
}

/**
 * Runs a write whose data also lives in memory (a node's status, a staging job's progress): when the
 * database refuses it (SQLITE_FULL on a full disk, an I/O error), the failure is reported and the
 * caller goes on, instead of an exception that, thrown from a timer or a heartbeat, takes the whole
 * orchestrator down.
 */
export function bestEffort(what: string, report: WriteFailureReporter, write: () => void): void {
  try {
    write();
  } catch (err) {
    report(what, err);
  }
}
