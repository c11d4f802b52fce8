import { z } from "zod";
import { queryInteger } from "../common/query-integer.js";

/** Requests admitted and tokens used by one credential (one UTC day, or today so far). */
export const UsageCountsSchema = z.object({
  requests: z.int().min(0),
  tokens_in: z.int().min(0),
  tokens_out: z.int().min(0),
});
export type UsageCounts = z.infer<typeof UsageCountsSchema>;

export const ZERO_USAGE: UsageCounts = { requests: 0, tokens_in: 0, tokens_out: 0 };

/** UTC calendar day, YYYY-MM-DD. */
export const UsageDaySchema = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

/** One credential's use on one day. */
export const KeyUsageDaySchema = UsageCountsSchema.extend({
  /** The API key's id, `builtin` for the configured and generated tokens, `session` for the dashboard. */
  key_id: z.string(),
  name: z.string(),
  day: UsageDaySchema,
});
export type KeyUsageDay = z.infer<typeof KeyUsageDaySchema>;

export const UsageQuerySchema = z.object({
  /** Today and the days before it. */
  days: queryInteger(1, 366).optional(),
  /** One credential only (an inference key may ask only for itself, and gets only itself anyway). */
  key_id: z.string().min(1).max(80).optional(),
});
export type UsageQuery = z.infer<typeof UsageQuerySchema>;

/** GET /v2/usage: per credential and day, newest day first; counts reach the database every 2 s. */
export const UsageResponseSchema = z.object({
  from_day: UsageDaySchema,
  to_day: UsageDaySchema,
  usage: z.array(KeyUsageDaySchema),
});
export type UsageResponse = z.infer<typeof UsageResponseSchema>;

/** The UTC day a time falls on. */
export function usageDay(atMs: number): string {
  return new Date(atMs).toISOString().slice(0, 10);
}
