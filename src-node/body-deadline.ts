import type { Request, RequestHandler, Response } from "express";
import { errorEnvelope } from "../src-shared/errors/error-envelope.js";
import { sendError } from "./error-sender.js";

export interface BodyLimits {
  /** Time a request body (JSON, or one a route does not read) may take to arrive completely. */
  bodyTimeoutMs: number;
  /** A streamed upload must bring at least this many bytes per interval, or it is cut. */
  uploadMinBytes: number;
  uploadIntervalMs: number;
}

export const DEFAULT_BODY_LIMITS: BodyLimits = { bodyTimeoutMs: 30_000, uploadMinBytes: 64 * 1024, uploadIntervalMs: 10_000 };

const DISARM = "disarmBodyDeadline";

function hasBody(req: Request): boolean {
  const length = req.headers["content-length"];
  return req.headers["transfer-encoding"] !== undefined || (length !== undefined && length !== "0");
}

/** Answers 408 if nothing was sent yet, and closes the connection either way. */
function cut(req: Request, res: Response, why: string): void {
  if (req.complete || req.socket.destroyed) return;
  if (!res.headersSent) {
    res.setHeader("Connection", "close");
    sendError(res, 408, errorEnvelope("REQUEST_TIMEOUT", why));
    res.once("finish", () => req.socket.destroy());
    setTimeout(() => req.socket.destroy(), 1000).unref();
  } else {
    req.socket.destroy();
  }
}

/**
 * Every request with a body must deliver it within `bodyTimeoutMs`, whichever route it is for
 * (even one that never reads it: Node keeps reading to reuse the connection). The worker has no
 * server-wide request timeout, so this is what bounds a slow body there.
 */
export function bodyDeadline(limits: BodyLimits): RequestHandler {
  return (req, res, next) => {
    if (!hasBody(req)) {
      next();
      return;
    }
    const timer = setTimeout(() => cut(req, res, `the request body did not arrive within ${limits.bodyTimeoutMs} ms`), limits.bodyTimeoutMs);
    timer.unref();
    const disarm = () => clearTimeout(timer);
    // on, not once: clearing twice is harmless, and once wraps each listener (two allocations per request).
    req.on("end", disarm);
    req.on("close", disarm);
    res.locals[DISARM] = disarm;
    next();
  };
}

/**
 * For streamed uploads (long by nature): instead of the body deadline, a minimum rate measured on
 * the socket's byte count, so the handler's stream is not touched and a drip-feed is still cut.
 */
export function uploadRate(limits: BodyLimits): RequestHandler {
  return (req, res, next) => {
    const disarm = res.locals[DISARM] as (() => void) | undefined;
    disarm?.();
    let lastBytes = req.socket.bytesRead;
    const check = setInterval(() => {
      const bytes = req.socket.bytesRead;
      if (bytes - lastBytes < limits.uploadMinBytes) cut(req, res, `the upload brought fewer than ${limits.uploadMinBytes} bytes in ${limits.uploadIntervalMs} ms`);
      lastBytes = bytes;
    }, limits.uploadIntervalMs);
    check.unref();
    const stop = () => clearInterval(check);
    req.once("end", stop);
    req.once("close", stop);
    res.once("close", stop);
    next();
  };
}
