import { z } from "zod";
import { FinishReasonSchema, OPENAI_SAMPLING_FIELDS, OpenAiOutputLimitSchema, UsageSchema } from "./openai-common.js";
import { ChatLogprobsSchema, OpenAiResponseFormatSchema, OpenAiToolCallDeltaSchema, OpenAiToolCallSchema, OpenAiToolChoiceSchema, OpenAiToolSchema } from "./openai-tools.js";
import { MAX_TOOLS } from "../tasks/tool-calling.js";
import { blockOf } from "../common/typed-blocks.js";

// Content may be a string or an array of parts. Other part types (image_url, input_audio, file) parse
// so that the adapter can refuse them by name (CHAT_COMPLETION_PARAMS) instead of with a schema path.
const TextPartSchema = z.looseObject({ type: z.literal("text"), text: z.string() });

export const OpenAiChatMessageSchema = z
  .looseObject({
    // function turns (the deprecated API) parse so that they can be refused by name, like other part types.
    role: z.enum(["system", "developer", "user", "assistant", "tool", "function"]),
    content: z.union([z.string(), z.array(blockOf({ text: TextPartSchema }))]).nullable().optional(),
    name: z.string().optional(),
    /** Calls an assistant turn made. */
    tool_calls: z.array(OpenAiToolCallSchema).optional(),
    /** The call a tool turn answers. */
    tool_call_id: z.string().optional(),
  })
  .superRefine((message, ctx) => {
    // Only an assistant turn may go without content (it made calls instead), as OpenAI has it; another
    // turn without it was read as empty.
    if (message.role !== "assistant" && message.role !== "function" && (message.content === undefined || message.content === null)) {
      ctx.addIssue({ code: "custom", path: ["content"], message: `Field required: a ${message.role} turn needs content (a string or text parts)` });
    }
  });
export type OpenAiChatMessage = z.infer<typeof OpenAiChatMessageSchema>;

/**
 * POST /v1/chat/completions. Loose: every key passes the schema, and the adapter then refuses by name
 * what it cannot honour (CHAT_COMPLETION_PARAMS), so a client learns which parameter, not a schema path.
 */
export const ChatCompletionRequestSchema = z.looseObject({
  ...OPENAI_SAMPLING_FIELDS,
  messages: z.array(OpenAiChatMessageSchema).min(1),
  /** Newer name for max_tokens; wins when both are sent. */
  max_completion_tokens: OpenAiOutputLimitSchema.nullable().optional(),
  tools: z.array(OpenAiToolSchema).max(MAX_TOOLS).nullable().optional(),
  tool_choice: OpenAiToolChoiceSchema.nullable().optional(),
  parallel_tool_calls: z.boolean().nullable().optional(),
  response_format: OpenAiResponseFormatSchema.nullable().optional(),
  logprobs: z.boolean().nullable().optional(),
  top_logprobs: z.int().min(0).max(20).nullable().optional(),
});
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequestSchema>;

/** Text of a message, with its text parts concatenated (other parts are refused before this). */
export function chatMessageText(message: OpenAiChatMessage): string {
  if (message.content === null || message.content === undefined) return "";
  if (typeof message.content === "string") return message.content;
  return message.content.map((part) => (typeof part.text === "string" ? part.text : "")).join("");
}

export const ChatCompletionResponseSchema = z.object({
  id: z.string(),
  object: z.literal("chat.completion"),
  created: z.int().min(0),
  model: z.string(),
  choices: z.array(
    z.object({
      index: z.int().min(0),
      message: z.object({ role: z.literal("assistant"), content: z.string().nullable(), tool_calls: z.array(OpenAiToolCallSchema).optional() }),
      finish_reason: FinishReasonSchema,
      logprobs: ChatLogprobsSchema.nullable(),
    }),
  ),
  usage: UsageSchema,
  system_fingerprint: z.string().optional(),
});
export type ChatCompletionResponse = z.infer<typeof ChatCompletionResponseSchema>;

/** One `data:` line of a streamed chat completion; the stream ends with `data: [DONE]`. */
export const ChatCompletionChunkSchema = z.object({
  id: z.string(),
  object: z.literal("chat.completion.chunk"),
  created: z.int().min(0),
  model: z.string(),
  choices: z.array(
    z.object({
      index: z.int().min(0),
      delta: z.object({ role: z.literal("assistant").optional(), content: z.string().nullable().optional(), tool_calls: z.array(OpenAiToolCallDeltaSchema).optional() }),
      finish_reason: FinishReasonSchema.nullable(),
      logprobs: ChatLogprobsSchema.nullable().optional(),
    }),
  ),
  /** Only on the final chunk, when stream_options.include_usage is set. */
  usage: UsageSchema.nullable().optional(),
});
export type ChatCompletionChunk = z.infer<typeof ChatCompletionChunkSchema>;
