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
