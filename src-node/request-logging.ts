import { randomUUID } from "node:crypto";
import type { RequestHandler } from "express";

/** The part of a pino logger the server layer uses (both servers pass pino). */
export interface ServerLogger {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  /** pino's level check: when it says debug is off, the per-request debug entry is not even built. */
  isLevelEnabled?(level: string): boolean;
}

const CORRELATION_ID = /^[\w.-]{1,128}$/;

/**
 * Gives every request a correlation id (the caller's X-Correlation-Id, else its X-Request-Id — what
 * proxies such as nginx's $request_id set — when well-formed, else a new one), echoes it, and logs the
 * request when it finishes: 5xx as warnings, the rest at debug.
 */
export function requestLogging(logger: ServerLogger): RequestHandler {
  return (req, res, next) => {
    const incoming = req.headers["x-correlation-id"] ?? req.headers["x-request-id"];
    const correlationId = typeof incoming === "string" && CORRELATION_ID.test(incoming) ? incoming : randomUUID();
    res.locals.correlationId = correlationId;
    res.setHeader("X-Correlation-Id", correlationId);
    // The same id under the names the OpenAI (x-request-id) and Anthropic (request-id) SDKs expose as a
    // response's `_request_id`, so a client's error report can be found in these logs.
    res.setHeader("X-Request-Id", correlationId);
    res.setHeader("Request-Id", correlationId);
    const started = performance.now();
    res.on("finish", () => {
      // Asked at finish, so a level changed at run time applies at once.
      if (res.statusCode < 500 && logger.isLevelEnabled?.("debug") === false) return;
      const entry = { correlation_id: correlationId, method: req.method, path: req.path, status: res.statusCode, ms: Math.round(performance.now() - started) };
      if (res.statusCode >= 500) logger.warn(entry, "request failed");
      else logger.debug(entry, "request");
    });
    next();
  };
}
