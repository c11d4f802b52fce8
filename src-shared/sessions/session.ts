import { z } from "zod";

/** GET /v2/sessions/{id} (spec §4.4): metadata only, never conversation content. */
export const SessionInfoSchema = z.object({
  ttl_ms_remaining: z.int().min(0),
  turns: z.int().min(0),
  kv_bytes: z.int().min(0),
  kv_warmth: z.boolean(),
  tokens_budget_remaining: z.int(),
  time_budget_remaining_ms: z.int(),
  cost_budget_remaining: z.number(),
  /** Where the session's KV lives, for affinity; null before the first task. */
  node_id: z.string().nullable().optional(),
  pool_id: z.string().nullable().optional(),
});
export type SessionInfo = z.infer<typeof SessionInfoSchema>;
