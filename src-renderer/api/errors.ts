import { ErrorEnvelopeSchema } from "../../src-shared/errors/error-envelope.js";
import { OpenAiErrorSchema } from "../../src-shared/openai/openai-error.js";
import type { ErrorCode } from "../../src-shared/errors/error-codes.js";

/** Codes the client itself produces when the server never answered with an envelope. */
export type ClientErrorCode = "NETWORK_ERROR" | "BAD_RESPONSE" | "HTTP_ERROR" | "ABORTED";
export type AnyErrorCode = ErrorCode | ClientErrorCode;

export interface ValidationIssue {
  path: (string | number)[];
  message: string;
}

/** Every failed API call, whatever failed: carries the stable error code the toasts show. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly code: AnyErrorCode,
    message: string,
    readonly status: number,
    readonly extra: { hint?: string; retriable?: boolean; retryAfterMs?: number; issues?: ValidationIssue[] } = {},
  ) {
    super(message);
  }

  /** 401: the session cookie is missing or expired; the dashboard shows the login screen. */
  get isAuth(): boolean {
    return this.code === "MISSING_TOKEN" || this.code === "BAD_TOKEN";
  }
}

function issuesOf(details: Record<string, unknown> | undefined): ValidationIssue[] | undefined {
  const raw = details?.issues;
  if (!Array.isArray(raw)) return undefined;
  const out: ValidationIssue[] = [];
  for (const item of raw) {
    if (typeof item !== "object" || item === null) continue;
    const { path, message } = item as { path?: unknown; message?: unknown };
    if (typeof message !== "string") continue;
    out.push({ path: Array.isArray(path) ? path.filter((p): p is string | number => typeof p === "string" || typeof p === "number") : [], message });
  }
  return out;
}

/**
 * Turns a non-2xx response body into an ApiError: the /v2 envelope, the OpenAI error shape of /v1,
 * or (for a proxy page, an empty body …) a generic HTTP_ERROR carrying the status.
 */
export function apiErrorFromBody(status: number, body: unknown): ApiError {
  const envelope = ErrorEnvelopeSchema.safeParse(body);
  if (envelope.success) {
    const e = envelope.data;
    const issues = issuesOf(e.details);
    return new ApiError(e.code, e.message, status, {
      ...(e.hint !== undefined ? { hint: e.hint } : {}),
      ...(e.retriable !== undefined ? { retriable: e.retriable } : {}),
      ...(e.retry_after_ms !== undefined ? { retryAfterMs: e.retry_after_ms } : {}),
      ...(issues !== undefined ? { issues } : {}),
    });
  }
  const openai = OpenAiErrorSchema.safeParse(body);
  if (openai.success) {
    const code = openai.data.error.code;
    const known = code !== null && ErrorEnvelopeSchema.shape.code.safeParse(code).success ? (code as ErrorCode) : "HTTP_ERROR";
    return new ApiError(known, openai.data.error.message, status);
  }
  return new ApiError("HTTP_ERROR", `the server answered HTTP ${status}`, status);
}

/** Any thrown value as an ApiError (network failures, aborts, parse errors). */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof DOMException && err.name === "AbortError") return new ApiError("ABORTED", "the request was cancelled", 0);
  if (err instanceof TypeError) return new ApiError("NETWORK_ERROR", `cannot reach the orchestrator: ${err.message}`, 0);
  return new ApiError("BAD_RESPONSE", err instanceof Error ? err.message : String(err), 0);
}
