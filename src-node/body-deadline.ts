import type { Request, RequestHandler, Response } from "express";
import { errorEnvelope } from "../src-shared/errors/error-envelope.js";
import { sendError } from "./error-sender.js";
import { styleForPath, styleForRequest } from "./error-style.js";

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

/**
 * Answers 408 if nothing was sent yet, and closes the connection either way. The request itself is
 * destroyed, not only its socket: once the 408 has finished, Node no longer aborts the request when
 * its socket closes, so a handler still reading the body (a streamed upload) would wait for it
 * forever, holding its open part file. Destroying the request ends that read with an error.
 */
function cut(req: Request, res: Response, why: string): void {
  if (req.complete || req.socket.destroyed) return;
  const close = () => req.destroy();
  if (!res.headersSent) {
    res.setHeader("Connection", "close");
    // In the shape of the surface the request was for: an OpenAI client reads an OpenAI error.
    sendError(res, 408, errorEnvelope("REQUEST_TIMEOUT", why), styleForRequest(styleForPath(req.path), req));
    res.once("finish", close);
    setTimeout(close, 1000).unref();
  } else {
    close();
  }
}

/** How late a sweep may cut: a tenth of the deadline, between 10 ms and 1 s. */
export function sweepIntervalMs(bodyTimeoutMs: number): number {
  return Math.min(1000, Math.max(10, Math.floor(bodyTimeoutMs / 10)));
}

/**
 * The requests whose body is still arriving, in arrival order, which is also deadline order (one
 * timeout for all): one sweep timer for every pending body instead of a timer and two closures per
 * request (docs/PERFORMANCE.md, heartbeats). A body that ends, or a request that closes, leaves at
 * once through two listeners shared by every request.
 */
class PendingBodies {
  private readonly armedAt = new Map<Request, number>();
  private timer: NodeJS.Timeout | null = null;
  private readonly why: string;
  private readonly interval: number;
  /** The request's listener for "end" and "close" (`this` is the request). */
  readonly leave: (this: Request) => void;
  /** Called with the request: uploads switch from the deadline to their rate check. */
  readonly disarm = (req: Request): void => {
    this.armedAt.delete(req);
  };

  constructor(private readonly timeoutMs: number) {
    this.why = `the request body did not arrive within ${timeoutMs} ms`;
    this.interval = sweepIntervalMs(timeoutMs);
    const armedAt = this.armedAt;
    this.leave = function leave(this: Request) {
      armedAt.delete(this);
    };
  }

  arm(req: Request): void {
    this.armedAt.set(req, performance.now());
    if (this.timer === null) {
      this.timer = setInterval(() => this.sweep(), this.interval);
      this.timer.unref();
    }
  }

  private sweep(): void {
    const now = performance.now();
    for (const [req, at] of this.armedAt) {
      if (now - at < this.timeoutMs) break; // the rest arrived later
      this.armedAt.delete(req);
      if (req.res !== undefined) cut(req, req.res, this.why);
      else req.socket.destroy();
    }
    // No ticking timer while no body is pending.
    if (this.armedAt.size === 0 && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }
}

/**
 * Every request with a body must deliver it within `bodyTimeoutMs` (cut at most a tenth of it, and
 * never more than 1 s, later: the sweep's interval), whichever route it is for (even one that never
 * reads it: Node keeps reading to reuse the connection). The worker has no server-wide request
 * timeout, so this is what bounds a slow body there.
 */
export function bodyDeadline(limits: BodyLimits): RequestHandler {
  const pending = new PendingBodies(limits.bodyTimeoutMs);
  return (req, res, next) => {
    if (!hasBody(req)) {
      next();
      return;
    }
    pending.arm(req);
    req.on("end", pending.leave);
    req.on("close", pending.leave);
    res.locals[DISARM] = pending.disarm;
    next();
  };
}

/**
 * For streamed uploads (long by nature): instead of the body deadline, a minimum rate measured on
 * the socket's byte count, so the handler's stream is not touched and a drip-feed is still cut.
 */
export function uploadRate(limits: BodyLimits): RequestHandler {
  return (req, res, next) => {
    const disarm = res.locals[DISARM] as ((req: Request) => void) | undefined;
    disarm?.(req);
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
