import { z } from "zod";

// Anthropic Messages API (POST /v1/messages), text in and text out. Loose: the adapter refuses by name
// what it cannot honour (MESSAGES_PARAMS), e.g. image or tool_use blocks.

const TextBlockSchema = z.looseObject({ type: z.literal("text"), text: z.string() });
const OtherBlockSchema = z.looseObject({ type: z.string() });

export const AnthropicMessageParamSchema = z.looseObject({
  role: z.enum(["user", "assistant"]),
  content: z.union([z.string(), z.array(z.union([TextBlockSchema, OtherBlockSchema]))]),
});
export type AnthropicMessageParam = z.infer<typeof AnthropicMessageParamSchema>;

export const AnthropicMessagesRequestSchema = z.looseObject({
  model: z.string().min(1),
  /** Required by the API: there is no default output limit. */
  max_tokens: z.int().min(1),
  messages: z.array(AnthropicMessageParamSchema).min(1),
  system: z.union([z.string(), z.array(z.union([TextBlockSchema, OtherBlockSchema]))]).optional(),
  stop_sequences: z.array(z.string().min(1)).max(16).optional(),
  stream: z.boolean().optional(),
  temperature: z.number().min(0).max(1).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.int().min(0).optional(),
  metadata: z.looseObject({ user_id: z.string().nullable().optional() }).optional(),
});
export type AnthropicMessagesRequest = z.infer<typeof AnthropicMessagesRequestSchema>;

/** Text of a content (or system) value: a string, or its text blocks joined (other blocks are refused before). */
export function anthropicText(content: AnthropicMessageParam["content"]): string {
  if (typeof content === "string") return content;
  return content.map((block) => (typeof block.text === "string" ? block.text : "")).join("");
}

export const AnthropicStopReasonSchema = z.enum(["end_turn", "max_tokens", "stop_sequence"]);
export type AnthropicStopReason = z.infer<typeof AnthropicStopReasonSchema>;

export const AnthropicUsageSchema = z.object({ input_tokens: z.int().min(0), output_tokens: z.int().min(0) });

export const AnthropicMessageSchema = z.object({
  id: z.string(),
  type: z.literal("message"),
  role: z.literal("assistant"),
  model: z.string(),
  content: z.array(z.object({ type: z.literal("text"), text: z.string() })),
  stop_reason: AnthropicStopReasonSchema.nullable(),
  /** The stop sequence that matched, when the request named exactly one (the engine does not say which of several matched). */
  stop_sequence: z.string().nullable(),
  usage: AnthropicUsageSchema,
});
export type AnthropicMessage = z.infer<typeof AnthropicMessageSchema>;

export const ANTHROPIC_STREAM_EVENT_TYPES = ["message_start", "content_block_start", "ping", "content_block_delta", "content_block_stop", "message_delta", "message_stop", "error"] as const;

/** One streamed event: `event: <type>` + `data: {type, …}`. */
export const AnthropicStreamEventSchema = z.looseObject({ type: z.enum(ANTHROPIC_STREAM_EVENT_TYPES) });
