import type { Response } from "express";
import { httpStatusForCode, type ErrorCode } from "../../src-shared/errors/error-codes.js";
import { errorEnvelope, retryAfterSeconds, type ErrorEnvelopeExtra } from "../../src-shared/errors/error-envelope.js";

/** Every non-2xx answer of the worker API: the shared error envelope, with Retry-After when retriable later. */
export function sendError(res: Response, code: ErrorCode, message: string, extra: ErrorEnvelopeExtra = {}): void {
  const envelope = errorEnvelope(code, message, extra);
  if (envelope.retry_after_ms !== undefined) {
    res.setHeader("Retry-After", String(retryAfterSeconds(envelope.retry_after_ms)));
    res.setHeader("X-Backoff-Ms", String(envelope.retry_after_ms));
  }
  res.status(httpStatusForCode(code)).json(envelope);
}
