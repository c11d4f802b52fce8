import { z } from "zod";

// Sampling fields shared by /v2/tasks and the worker infer request. Ranges follow llama.cpp's.
export const SAMPLING_FIELDS = {
  temperature: z.number().min(0).max(2).optional(),
  top_k: z.int().min(0).optional(),
  top_p: z.number().min(0).max(1).optional(),
  /** Non-negative; engines take an unsigned 32-bit seed. */
  seed: z.int().min(0).optional(),
  /** Stop strings; generation ends before the first occurrence. */
  stop: z.array(z.string().min(1)).max(16).optional(),
} as const;

/** The largest max_tokens anyone may ask for (spec: > 50 000 → INVALID_PARAMS). */
export const MAX_TOKENS_LIMIT = 50_000;
