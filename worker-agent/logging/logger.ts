import { pino, type Logger } from "pino";

export type { Logger } from "pino";

/** JSON lines on stdout; `base` carries the fields every line of this process should have. */
export function createLogger(level: string, base: Record<string, unknown> = {}): Logger {
  return pino({
    level,
    base: { pid: process.pid, ...base },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}
