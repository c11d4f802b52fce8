import type { Response } from "express";
import type { ErrorEnvelope } from "../../../src-shared/errors/error-envelope.js";
import { retryAfterSeconds } from "../../../src-shared/errors/error-envelope.js";
import { openAiErrorType, type OpenAiError } from "../../../src-shared/openai/openai-error.js";
import type { ErrorStyle } from "../../../src-shared/contract/route-spec.js";

/** Writes an error in the route's style, with Retry-After / X-Backoff-Ms when a back-off is advised. */
export function sendError(res: Response, status: number, envelope: ErrorEnvelope, style: ErrorStyle = "envelope"): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  if (envelope.retry_after_ms !== undefined) {
    res.setHeader("Retry-After", String(retryAfterSeconds(envelope.retry_after_ms)));
    res.setHeader("X-Backoff-Ms", String(envelope.retry_after_ms));
  }
  if (style === "openai") {
    const body: OpenAiError = { error: { message: envelope.message, type: openAiErrorType(status), param: paramOf(envelope), code: envelope.code } };
    res.status(status).json(body);
    return;
  }
  res.status(status).json(envelope);
}

function paramOf(envelope: ErrorEnvelope): string | null {
  const issues = envelope.details?.issues;
  if (Array.isArray(issues) && issues.length > 0) {
    const first = issues[0] as { path?: unknown };
    if (Array.isArray(first.path)) return first.path.join(".");
  }
  return null;
}
