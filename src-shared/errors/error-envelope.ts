import { z } from "zod";
import { ERROR_CODE_LIST, ERROR_CODES, type ErrorCode } from "./error-codes.js";

export const ErrorCodeSchema = z.enum(ERROR_CODE_LIST);

/**
 * The JSON body of every non-2xx response of the orchestrator and worker APIs (also 401, 404, 413
 * and malformed JSON). Optional fields are omitted when absent, never null.
 */
export const ErrorEnvelopeSchema = z.object({
  code: ErrorCodeSchema,
  message: z.string(),
  retriable: z.boolean().optional(),
  /** Present on 429 (mirrored in Retry-After / X-Backoff-Ms) and on retriable 503s. */
  retry_after_ms: z.int().min(0).optional(),
  /** Queue full policy that produced a 429: "reject" or "drop-lru"; "per-key" on ADMISSION_KEY_LIMIT; "retry" on POOL_UNAVAILABLE. */
  policy_label: z.string().optional(),
  pool_id: z.string().optional(),
  engine: z.string().optional(),
  /** Remediation for auth errors (e.g. how to find the generated token). */
  hint: z.string().optional(),
  /** Machine-readable extras, e.g. validation issues {path, message}[]. */
  details: z.record(z.string(), z.unknown()).optional(),
});
export type ErrorEnvelope = z.infer<typeof ErrorEnvelopeSchema>;

export type ErrorEnvelopeExtra = Omit<ErrorEnvelope, "code" | "message">;

/** Builds an envelope with the table's default `retriable`, letting `extra` override it. */
export function errorEnvelope(code: ErrorCode, message: string, extra: ErrorEnvelopeExtra = {}): ErrorEnvelope {
  const envelope: ErrorEnvelope = { code, message, retriable: ERROR_CODES[code].retriable };
  for (const [key, value] of Object.entries(extra)) {
    // Drop undefined so the JSON omits the key rather than relying on the serializer.
    if (value !== undefined) (envelope as Record<string, unknown>)[key] = value;
  }
  return envelope;
}

/**
 * `Retry-After` header value for an envelope: whole seconds, at least 1 (spec §2.1), rounded up: a
 * client that honours it (the OpenAI and Anthropic SDKs do) must not come back before the wait is over,
 * or a rate limit refuses it again (2.9 s written as 2 cost every KEY_RATE_LIMITED retry a second 429).
 */
export function retryAfterSeconds(retryAfterMs: number): number {
  return Math.max(Math.ceil(retryAfterMs / 1000), 1);
}
