import type { Response } from "express";
import type { ErrorStyle } from "../src-shared/contract/route-spec.js";
import { httpStatusForCode } from "../src-shared/errors/error-codes.js";
import { retryAfterSeconds, type ErrorEnvelope } from "../src-shared/errors/error-envelope.js";
import type { OrchError } from "../src-shared/errors/orch-error.js";
import { anthropicError, anthropicHttpStatus } from "../src-shared/anthropic/anthropic-error.js";
import { ollamaError } from "../src-shared/ollama/ollama-error.js";
import { openAiErrorType, type OpenAiError } from "../src-shared/openai/openai-error.js";

/** Writes an error in the route's style, with Retry-After / X-Backoff-Ms when a back-off is advised. */
export function sendError(res: Response, status: number, envelope: ErrorEnvelope, style: ErrorStyle = "envelope"): void {
  if (res.headersSent) {
    // A stream already started: the status line is gone, so all that is left is to end it.
    res.end();
    return;
  }
  if (envelope.retry_after_ms !== undefined) {
    res.setHeader("Retry-After", String(retryAfterSeconds(envelope.retry_after_ms)));
    res.setHeader("X-Backoff-Ms", String(envelope.retry_after_ms));
  }
  // The OpenAI and Anthropic SDKs retry every 429 and sleep whatever Retry-After says, uncapped: a quota
  // that resets at midnight would hang a client for hours. They obey x-should-retry, so a 429 that no
  // early retry can pass (KEY_QUOTA_EXCEEDED for the day) says so.
  if (status === 429 && envelope.retriable === false) res.setHeader("x-should-retry", "false");
  if (style === "anthropic") {
    const wire = anthropicHttpStatus(status);
    res.status(wire).json(anthropicError(wire, envelope.message, envelope.code));
    return;
  }
  if (style === "ollama") {
    res.status(status).json(ollamaError(envelope.message));
    return;
  }
  if (style === "openai") {
    const body: OpenAiError = { error: { message: envelope.message, type: openAiErrorType(status), param: paramOf(envelope), code: envelope.code } };
    res.status(status).json(body);
    return;
  }
  res.status(status).json(envelope);
}

/** An OrchError as HTTP: its status comes from the error-code table. */
export function sendOrchError(res: Response, err: OrchError, style: ErrorStyle = "envelope"): void {
  sendError(res, httpStatusForCode(err.code), err.envelope, style);
}

function paramOf(envelope: ErrorEnvelope): string | null {
  const issues = envelope.details?.issues;
  if (Array.isArray(issues) && issues.length > 0) {
    const first = issues[0] as { path?: unknown };
    // An issue of the whole body (path []) names no parameter: null, as OpenAI answers.
    if (Array.isArray(first.path) && first.path.length > 0) return first.path.join(".");
  }
  return null;
}
