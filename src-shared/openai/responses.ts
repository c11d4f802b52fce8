import { z } from "zod";

// OpenAI Responses API (POST /v1/responses), text in and text out. Loose like chat: the adapter refuses
// by name what it cannot honour (RESPONSES_PARAMS).

const TextPartSchema = z.looseObject({ type: z.enum(["input_text", "output_text"]), text: z.string() });
const OtherPartSchema = z.looseObject({ type: z.string() });

export const ResponsesInputMessageSchema = z.looseObject({
  type: z.literal("message").optional(),
  role: z.enum(["user", "assistant", "system", "developer"]),
  content: z.union([z.string(), z.array(z.union([TextPartSchema, OtherPartSchema]))]),
});
export type ResponsesInputMessage = z.infer<typeof ResponsesInputMessageSchema>;

/** Any other input item (function_call_output, item_reference, …): parsed so it can be refused by name. */
const OtherItemSchema = z.looseObject({ type: z.string() });

export const ResponsesRequestSchema = z.looseObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(z.union([ResponsesInputMessageSchema, OtherItemSchema])).min(1)]),
  instructions: z.string().nullable().optional(),
  max_output_tokens: z.int().min(1).nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  stream: z.boolean().nullable().optional(),
  user: z.string().optional(),
});
export type ResponsesRequest = z.infer<typeof ResponsesRequestSchema>;

/** Text of an input message (only text parts reach this; the others are refused before). */
export function responsesMessageText(message: ResponsesInputMessage): string {
  if (typeof message.content === "string") return message.content;
  return message.content.map((part) => (typeof part.text === "string" ? part.text : "")).join("");
}

const OutputTextSchema = z.object({ type: z.literal("output_text"), text: z.string(), annotations: z.array(z.unknown()) });

export const ResponsesOutputMessageSchema = z.object({
  type: z.literal("message"),
  id: z.string(),
  status: z.enum(["in_progress", "completed", "incomplete"]),
  role: z.literal("assistant"),
  content: z.array(OutputTextSchema),
});

export const ResponsesUsageSchema = z.object({
  input_tokens: z.int().min(0),
  input_tokens_details: z.object({ cached_tokens: z.int().min(0) }),
  output_tokens: z.int().min(0),
  output_tokens_details: z.object({ reasoning_tokens: z.int().min(0) }),
  total_tokens: z.int().min(0),
});

/** The response object, as returned (non-stream) and carried by the lifecycle events. */
export const ResponseObjectSchema = z.object({
  id: z.string(),
  object: z.literal("response"),
  created_at: z.int().min(0),
  status: z.enum(["in_progress", "completed", "incomplete", "failed"]),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  incomplete_details: z.object({ reason: z.literal("max_output_tokens") }).nullable(),
  instructions: z.string().nullable(),
  max_output_tokens: z.int().nullable(),
  model: z.string(),
  output: z.array(ResponsesOutputMessageSchema),
  parallel_tool_calls: z.boolean(),
  previous_response_id: z.null(),
  store: z.literal(false),
  temperature: z.number().nullable(),
  text: z.object({ format: z.object({ type: z.literal("text") }) }),
  tool_choice: z.literal("none"),
  tools: z.array(z.never()),
  top_p: z.number().nullable(),
  truncation: z.literal("disabled"),
  usage: ResponsesUsageSchema.nullable(),
  user: z.string().nullable(),
  metadata: z.record(z.string(), z.string()),
});
export type ResponseObject = z.infer<typeof ResponseObjectSchema>;

export const RESPONSES_STREAM_EVENT_TYPES = [
  "response.created", "response.in_progress", "response.output_item.added", "response.content_part.added", "response.output_text.delta",
  "response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed", "response.incomplete", "response.failed", "error",
] as const;

/** One streamed event: `event: <type>` + `data: {type, sequence_number, …}`. */
export const ResponsesStreamEventSchema = z.looseObject({
  type: z.enum(RESPONSES_STREAM_EVENT_TYPES),
  sequence_number: z.int().min(0),
});
