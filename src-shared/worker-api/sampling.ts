import { z } from "zod";

/** The largest max_tokens anyone may ask for (spec: > 50 000 → INVALID_PARAMS). */
export const MAX_TOKENS_LIMIT = 50_000;

/** The penalties' window when none is given (llama.cpp's and Ollama's default). */
export const DEFAULT_REPEAT_LAST_N = 64;
/**
 * The truncation samplers a request that names none gets, on both engines: node-llama-cpp's defaults
 * (top-k 40, top-p 0.95, no min-p). Sent explicitly so the engine in use cannot change the output:
 * llama-server's own default min-p is 0.05, which cuts tokens the default engine samples.
 */
export const DEFAULT_TOP_K = 40;
export const DEFAULT_TOP_P = 0.95;
export const DEFAULT_MIN_P = 0;

/**
 * Most stop strings one request may carry. OpenAI takes 4 and llama-server and Ollama any number;
 * code-completion clients (Continue's autocomplete) send a dozen or more, which 16 refused.
 */
export const MAX_STOP_STRINGS = 64;

/** Most token ids one logit_bias may name (OpenAI documents no limit; llama-server none either). */
export const MAX_LOGIT_BIAS_TOKENS = 1024;

/**
 * Token id → a number added to that token's logit before sampling, OpenAI's `logit_bias`: -100 bans
 * the token, 100 all but forces it. Keys are decimal token ids (JSON object keys are strings); an id
 * beyond the model's vocabulary is refused by the engine, which knows the vocabulary.
 */
export const LogitBiasSchema = z
  .record(z.string().regex(/^(0|[1-9]\d{0,9})$/, "logit_bias keys are token ids: decimal integers"), z.number().min(-100).max(100))
  .refine((bias) => Object.keys(bias).length <= MAX_LOGIT_BIAS_TOKENS, `logit_bias names more than ${MAX_LOGIT_BIAS_TOKENS} tokens`);
export type LogitBias = z.infer<typeof LogitBiasSchema>;

// Sampling fields shared by /v2/tasks and the worker infer request. Ranges follow llama.cpp's (and
// OpenAI's for the two OpenAI penalties).
export const SAMPLING_FIELDS = {
  temperature: z.number().min(0).max(2).optional(),
  top_k: z.int().min(0).optional(),
  top_p: z.number().min(0).max(1).optional(),
  /** Keep only tokens at least min_p times as likely as the most likely one (llama.cpp's min-p; 0: off). */
  min_p: z.number().min(0).max(1).optional(),
  /**
   * The repeat penalty over the last `repeat_last_n` generated tokens: their logits are divided by it
   * (llama.cpp's; 1: off, above 1 discourages repetition).
   */
  repeat_penalty: z.number().gt(0).max(10).optional(),
  /** How many of the last generated tokens the penalties look at: default 64, 0 turns them off, -1 means all. */
  repeat_last_n: z.int().min(-1).max(MAX_TOKENS_LIMIT).optional(),
  /** Subtracted from a token's logit once per time it occurs in those tokens (OpenAI's range). */
  frequency_penalty: z.number().min(-2).max(2).optional(),
  /** Subtracted once from the logit of every token that occurs in those tokens (OpenAI's range). */
  presence_penalty: z.number().min(-2).max(2).optional(),
  logit_bias: LogitBiasSchema.optional(),
  /** Non-negative; engines take an unsigned 32-bit seed. */
  seed: z.int().min(0).optional(),
  /** Stop strings; generation ends before the first occurrence. */
  stop: z.array(z.string().min(1)).max(MAX_STOP_STRINGS).optional(),
} as const;

