import { pino, type DestinationStream, type Logger } from "pino";
import type { LogLevel } from "../../../src-shared/config/log-level.js";

/**
 * JSON-lines logger (pino, in-process destination — no transport worker threads). Authorization
 * headers and token fields are redacted wherever they appear; logs carry fp6, never a token.
 */
export function createLogger(level: LogLevel, name: string, destination?: DestinationStream): Logger {
  return pino(
    {
      name,
      level,
      base: { component: name },
      redact: { paths: ["req.headers.authorization", "headers.authorization", "authorization", "token", "*.token", "api_token", "*.api_token", "api_tokens"], censor: "[REDACTED]" },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
