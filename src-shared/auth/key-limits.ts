import { z } from "zod";

/**
 * What one API key may use (docs/SECURITY.md "Per-key limits"), so one client of a shared cluster
 * cannot take it from the others: admissions per minute and tokens (prompt + generated) per UTC day.
 * null: no limit. Configured and generated tokens (the operator's) have none.
 */
export const KeyLimitsSchema = z.object({
  requests_per_minute: z.int().min(1).max(1_000_000).nullable(),
  tokens_per_day: z.int().min(1).max(1_000_000_000_000).nullable(),
});
export type KeyLimits = z.infer<typeof KeyLimitsSchema>;

export const NO_KEY_LIMITS: KeyLimits = { requests_per_minute: null, tokens_per_day: null };

/** Limits as a request gives them (a new key's, or PUT …/limits): a field left out or null is no limit. */
export const KeyLimitsInputSchema = z.strictObject({
  requests_per_minute: KeyLimitsSchema.shape.requests_per_minute
    .optional()
    .describe("tasks this key may have admitted per minute on every surface (/v1, /api, /v2/tasks), as a token bucket (bursts up to the whole minute's worth); past it 429 KEY_RATE_LIMITED with Retry-After; null: no limit"),
  tokens_per_day: KeyLimitsSchema.shape.tokens_per_day
    .optional()
    .describe("prompt + generated tokens per UTC day; once reached, new requests get 429 KEY_QUOTA_EXCEEDED until 00:00 UTC (a task admitted under it finishes); null: no limit"),
});
export type KeyLimitsInput = z.infer<typeof KeyLimitsInputSchema>;

/** `base` with what `input` sets (a field `input` leaves out keeps `base`'s value). */
export function applyKeyLimits(base: KeyLimits, input: KeyLimitsInput | undefined): KeyLimits {
  if (input === undefined) return base;
  return {
    requests_per_minute: input.requests_per_minute === undefined ? base.requests_per_minute : input.requests_per_minute,
    tokens_per_day: input.tokens_per_day === undefined ? base.tokens_per_day : input.tokens_per_day,
  };
}
