import { pino, type DestinationStream, type Logger } from "pino";

export type { Logger } from "pino";

/** JSON lines on stdout (or `destination`, e.g. the readable terminal format); `base` goes on every line. */
export function createLogger(level: string, base: Record<string, unknown> = {}, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { pid: process.pid, ...base },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}

/**
 * stdout written synchronously, for a worker whose stdout is a pipe to its supervisor
 * (--exit-with-stdin): the supervisor may be gone before the worker exits, and pino's default
 * asynchronous stdout flushes what it buffered at exit, retrying a write that fails with EPIPE every
 * 100 ms forever (sonic-boom), so the worker never exited. A synchronous write meets the closed pipe
 * at once, and pino then stops writing. Log lines are small and the supervisor reads them as they come.
 */
export function synchronousStdout(): DestinationStream {
  return pino.destination({ dest: 1, sync: true });
}
