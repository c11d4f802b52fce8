import { pino, type DestinationStream, type Logger } from "pino";
import type { LogLevel } from "../../../src-shared/config/log-level.js";

/**
 * JSON-lines logger (pino, in-process destinations — no transport worker threads). Authorization
 * headers and token fields are redacted wherever they appear; logs carry fp6, never a token.
 * Every line goes to each destination (stdout by default, plus e.g. the dashboard's log ring).
 */
export function createLogger(level: LogLevel, name: string, ...destinations: DestinationStream[]): Logger {
  const streams = destinations.length > 0 ? destinations : [pino.destination({ dest: 1, sync: false })];
  return pino(
    {
      name,
      level,
      base: { component: name },
      redact: { paths: ["req.headers.authorization", "headers.authorization", "authorization", "token", "*.token", "api_token", "*.api_token", "api_tokens", "key", "*.key"], censor: "[REDACTED]" },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    streams.length === 1 ? (streams[0] as DestinationStream) : pino.multistream(streams.map((stream) => ({ stream, level: "trace" as const }))),
  );
}
