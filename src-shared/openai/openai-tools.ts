import { z } from "zod";
import { MAX_TOOL_DESCRIPTION_CHARS } from "../tasks/tool-calling.js";

// OpenAI's shapes for tools, structured output and log probabilities on /v1/chat/completions.

export const OpenAiToolSchema = z.looseObject({
  type: z.literal("function"),
  function: z.looseObject({
    name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "a function name is 1 to 64 letters, digits, _ . or -"),
    description: z.string().max(MAX_TOOL_DESCRIPTION_CHARS).optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullable().optional(),
  }),
});
export type OpenAiTool = z.infer<typeof OpenAiToolSchema>;

export const OpenAiToolChoiceSchema = z.union([
  z.enum(["auto", "none", "required"]),
  z.looseObject({ type: z.literal("function"), function: z.looseObject({ name: z.string().min(1) }) }),
  // Other choices (allowed_tools, custom) parse so that they are refused by name (CHAT_COMPLETION_PARAMS).
  z.looseObject({ type: z.string().regex(/^(?!function$)/, "a function tool_choice names its function: {type: \"function\", function: {name}}") }),
]);

/** A call in an assistant message (request) or in a response message. */
/** An earlier call in a request's assistant turn, bounded as the engine takes it (ToolCallSchema). */
export const OpenAiToolCallSchema = z.looseObject({
  id: z.string().min(1).max(256),
  type: z.literal("function"),
  function: z.looseObject({ name: z.string().min(1), arguments: z.string() }),
});
export type OpenAiToolCall = z.infer<typeof OpenAiToolCallSchema>;

/** A streamed fragment of a call: the first one of each index carries id, type and name. */
export const OpenAiToolCallDeltaSchema = z.object({
  index: z.int().min(0),
  id: z.string().optional(),
  type: z.literal("function").optional(),
  function: z.object({ name: z.string().optional(), arguments: z.string().optional() }),
});

export const OpenAiResponseFormatSchema = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("text") }),
  z.looseObject({ type: z.literal("json_object") }),
  z.looseObject({
    type: z.literal("json_schema"),
    json_schema: z.looseObject({ name: z.string().min(1).max(64), description: z.string().optional(), schema: z.record(z.string(), z.unknown()).optional(), strict: z.boolean().nullable().optional() }),
  }),
]);
export type OpenAiResponseFormat = z.infer<typeof OpenAiResponseFormatSchema>;

const TopLogprobSchema = z.object({ token: z.string(), logprob: z.number(), bytes: z.array(z.int()).nullable() });

/** choices[].logprobs of a chat completion (and of each chunk). */
export const ChatLogprobsSchema = z.object({
  content: z.array(TopLogprobSchema.extend({ top_logprobs: z.array(TopLogprobSchema) })).nullable(),
  refusal: z.null().optional(),
});
export type ChatLogprobs = z.infer<typeof ChatLogprobsSchema>;

/** choices[].logprobs of a text completion (the legacy shape). */
export const CompletionLogprobsSchema = z.object({
  tokens: z.array(z.string()),
  token_logprobs: z.array(z.number()),
  top_logprobs: z.array(z.record(z.string(), z.number())),
  text_offset: z.array(z.int().min(0)),
});
export type CompletionLogprobs = z.infer<typeof CompletionLogprobsSchema>;
