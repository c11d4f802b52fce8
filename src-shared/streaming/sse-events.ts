import { z } from "zod";
import { ErrorCodeSchema } from "../errors/error-envelope.js";

// SSE payloads of a task stream (spec §3.1). Order: started → (token | metrics | embedding)* → end | error;
// nothing follows the terminal event. Payload objects are loose so older clients tolerate
// additive fields, as the spec asks for `metrics`.

export const SseStartedDataSchema = z.looseObject({
  queue_position: z.int().min(0),
  predicted_start_ms: z.int().min(0),
  task_id: z.string().optional(),
  node_id: z.string().optional(),
  pool_id: z.string().optional(),
  /** sha256 of the model, or its friendly name when the digest is not known yet. */
  model: z.string().optional(),
  engine: z.string().optional(),
  engine_version: z.string().optional(),
});
export type SseStartedData = z.infer<typeof SseStartedDataSchema>;

/** One generated token's log probability (natural log) and its text as UTF-8 bytes. */
export const TokenLogprobSchema = z.object({
  token: z.string(),
  logprob: z.number(),
  bytes: z.array(z.int().min(0).max(255)),
});
export type TokenLogprob = z.infer<typeof TokenLogprobSchema>;

/** A token's log probability with the most likely alternatives at its position (when a task asks for logprobs). */
export const TokenLogprobsSchema = TokenLogprobSchema.extend({ top_logprobs: z.array(TokenLogprobSchema) });
export type TokenLogprobs = z.infer<typeof TokenLogprobsSchema>;

/** A fragment of a tool call: the first fragment of call `index` names the function; `arguments` pieces concatenate to JSON. */
export const ToolCallDeltaSchema = z.object({
  index: z.int().min(0),
  name: z.string().optional(),
  arguments: z.string(),
});
export type ToolCallDelta = z.infer<typeof ToolCallDeltaSchema>;

export const SseTokenDataSchema = z.looseObject({
  /** Token text (may be a partial UTF-8 sequence's worth of text, never split mid-code-point); "" for a tool call's tokens. */
  t: z.string(),
  /** 0-based index of the token in this stream. */
  i: z.int().min(0),
  /** The tokens behind `t`, when the task asked for logprobs. */
  logprobs: z.array(TokenLogprobsSchema).optional(),
  /** Set when the tokens are part of a tool call rather than text. */
  tool_call: ToolCallDeltaSchema.optional(),
});
export type SseTokenData = z.infer<typeof SseTokenDataSchema>;

export const SseMetricsDataSchema = z.looseObject({
  queue_depth: z.int().min(0).optional(),
  on_time_probability: z.number().min(0).max(1).optional(),
  kv_warmth: z.boolean().optional(),
  tokens_budget_remaining: z.int().optional(),
  time_budget_remaining_ms: z.int().optional(),
  cost_budget_remaining: z.number().optional(),
  tokens_per_second: z.number().min(0).optional(),
  tokens_out: z.int().min(0).optional(),
  /** The prompt's size in tokens, as the engine measured it before generating (the `end` event repeats it). */
  tokens_in: z.int().min(0).optional(),
  /** Human narration, only on verbose streams. */
  human: z.string().optional(),
});
export type SseMetricsData = z.infer<typeof SseMetricsDataSchema>;

/** tool_calls: the model called tools and waits for their results. */
export const StopReasonSchema = z.enum(["max_tokens", "stop", "eos", "canceled", "abort", "tool_calls"]);
export type StopReason = z.infer<typeof StopReasonSchema>;

export const SseEndDataSchema = z.looseObject({
  tokens_out: z.int().min(0),
  /** Same value as decode_time_ms; both are sent (OpenAPI vs root-spec name). */
  decode_ms: z.int().min(0),
  decode_time_ms: z.int().min(0),
  canceled: z.boolean().optional(),
  stop_reason: StopReasonSchema.optional(),
  first_token_ms: z.int().min(0).optional(),
  tokens_in: z.int().min(0).optional(),
  /**
   * The generation stopped because the model's context was full (a fill_context task whose max_tokens
   * the context could not hold), not at max_tokens: Anthropic's stop_reason model_context_window_exceeded.
   */
  context_full: z.boolean().optional(),
  /** With stop_reason stop: which of the task's stop strings matched (Anthropic's stop_sequence). */
  stop_sequence: z.string().optional(),
});
export type SseEndData = z.infer<typeof SseEndDataSchema>;

export const SseErrorDataSchema = z.looseObject({
  code: ErrorCodeSchema,
  message: z.string().optional(),
  retriable: z.boolean(),
  retry_after_ms: z.int().min(0).optional(),
  engine: z.string().optional(),
});
export type SseErrorData = z.infer<typeof SseErrorDataSchema>;

/** The result of an embedding task: one event per input, before `end`. */
export const SseEmbeddingDataSchema = z.looseObject({
  /** Position of the input in the task's `inputs`. */
  index: z.int().min(0),
  embedding: z.array(z.number()),
  /** Tokens the input occupied. */
  tokens: z.int().min(0),
});
export type SseEmbeddingData = z.infer<typeof SseEmbeddingDataSchema>;

/** The result of a ranking task: one event per document, before `end`. */
export const SseScoreDataSchema = z.looseObject({
  /** Position of the document in the task's `inputs`. */
  index: z.int().min(0),
  /** Relevance of the document to the query, 0 to 1 (the ranking head's sigmoid). */
  score: z.number().min(0).max(1),
  /** Tokens the query and document occupied. */
  tokens: z.int().min(0),
});
export type SseScoreData = z.infer<typeof SseScoreDataSchema>;

export const SSE_EVENT_NAMES = ["started", "token", "metrics", "embedding", "score", "end", "error"] as const;
export type SseEventName = (typeof SSE_EVENT_NAMES)[number];

export const SseEventSchema = z.discriminatedUnion("event", [
  z.object({ event: z.literal("started"), data: SseStartedDataSchema }),
  z.object({ event: z.literal("token"), data: SseTokenDataSchema }),
  z.object({ event: z.literal("metrics"), data: SseMetricsDataSchema }),
  z.object({ event: z.literal("embedding"), data: SseEmbeddingDataSchema }),
  z.object({ event: z.literal("score"), data: SseScoreDataSchema }),
  z.object({ event: z.literal("end"), data: SseEndDataSchema }),
  z.object({ event: z.literal("error"), data: SseErrorDataSchema }),
]);
export type SseEvent = z.infer<typeof SseEventSchema>;
export type TerminalSseEvent = Extract<SseEvent, { event: "end" | "error" }>;

/** Data schema per event name, for validating a frame whose name is already known. */
export const SSE_DATA_SCHEMAS = {
  started: SseStartedDataSchema,
  token: SseTokenDataSchema,
  metrics: SseMetricsDataSchema,
  embedding: SseEmbeddingDataSchema,
  score: SseScoreDataSchema,
  end: SseEndDataSchema,
  error: SseErrorDataSchema,
} as const satisfies Record<SseEventName, z.ZodType>;

export function isSseEventName(name: string): name is SseEventName {
  return (SSE_EVENT_NAMES as readonly string[]).includes(name);
}

/** `end` and `error` close a stream; nothing may follow them. */
export function isTerminalSseEvent(ev: SseEvent): ev is TerminalSseEvent {
  return ev.event === "end" || ev.event === "error";
}
