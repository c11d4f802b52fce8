import { z } from "zod";
import { OpenAiOutputLimitSchema } from "./openai-common.js";
import { MAX_TOOL_DESCRIPTION_CHARS, MAX_TOOLS } from "../tasks/tool-calling.js";

// OpenAI Responses API (POST /v1/responses): text, function tools and structured output. Loose like
// chat: the adapter refuses by name what it cannot honour (RESPONSES_PARAMS).

const TextPartSchema = z.looseObject({ type: z.enum(["input_text", "output_text"]), text: z.string() });
const OtherPartSchema = z.looseObject({ type: z.string() });

export const ResponsesInputMessageSchema = z.looseObject({
  type: z.literal("message").optional(),
  role: z.enum(["user", "assistant", "system", "developer"]),
  content: z.union([z.string(), z.array(z.union([TextPartSchema, OtherPartSchema]))]),
});
export type ResponsesInputMessage = z.infer<typeof ResponsesInputMessageSchema>;

/** A call the model made in an earlier turn, sent back as input. */
export const ResponsesFunctionCallItemSchema = z.looseObject({
  type: z.literal("function_call"),
  call_id: z.string().min(1).max(256),
  name: z.string().min(1),
  arguments: z.string(),
  id: z.string().optional(),
});
export type ResponsesFunctionCallItem = z.infer<typeof ResponsesFunctionCallItemSchema>;

/** The result of a call, answering it by call_id. */
export const ResponsesFunctionCallOutputItemSchema = z.looseObject({
  type: z.literal("function_call_output"),
  call_id: z.string().min(1).max(256),
  output: z.union([z.string(), z.array(z.union([TextPartSchema, OtherPartSchema]))]),
});
export type ResponsesFunctionCallOutputItem = z.infer<typeof ResponsesFunctionCallOutputItemSchema>;

/** Any other input item (item_reference, reasoning, …): parsed so it can be refused by name. */
const OtherItemSchema = z.looseObject({ type: z.string() });

export const ResponsesInputItemSchema = z.union([ResponsesInputMessageSchema, ResponsesFunctionCallItemSchema, ResponsesFunctionCallOutputItemSchema, OtherItemSchema]);

/** A function tool (flat, unlike chat's `{type, function: {…}}`); other tool types parse so they can be refused by name. */
export const ResponsesFunctionToolSchema = z.looseObject({
  type: z.literal("function"),
  name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "a function name is 1 to 64 letters, digits, _ . or -"),
  description: z.string().max(MAX_TOOL_DESCRIPTION_CHARS).nullable().optional(),
  parameters: z.record(z.string(), z.unknown()).nullable().optional(),
  strict: z.boolean().nullable().optional(),
});
export type ResponsesFunctionTool = z.infer<typeof ResponsesFunctionToolSchema>;
const OtherToolSchema = z.looseObject({ type: z.string() });

export const ResponsesToolChoiceSchema = z.union([
  z.enum(["auto", "none", "required"]),
  z.looseObject({ type: z.literal("function"), name: z.string().min(1) }),
  z.looseObject({ type: z.string() }),
]);

/** text.format: plain text, any JSON object, or JSON validating against a schema. */
export const ResponsesTextFormatSchema = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("text") }),
  z.looseObject({ type: z.literal("json_object") }),
  z.looseObject({
    type: z.literal("json_schema"),
    name: z.string().min(1).max(64),
    schema: z.record(z.string(), z.unknown()),
    description: z.string().optional(),
    strict: z.boolean().nullable().optional(),
  }),
]);
export type ResponsesTextFormat = z.infer<typeof ResponsesTextFormatSchema>;

// Optional fields accept null as "not set", as on chat completions and OpenAI's own API.
export const ResponsesRequestSchema = z.looseObject({
  model: z.string().min(1),
  /** Optional with instructions, as OpenAI has it: instructions alone are answered. */
  input: z.union([z.string(), z.array(ResponsesInputItemSchema).min(1)]).nullable().optional(),
  instructions: z.string().nullable().optional(),
  max_output_tokens: OpenAiOutputLimitSchema.nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  stream: z.boolean().nullable().optional(),
  user: z.string().nullable().optional(),
  tools: z.array(z.union([ResponsesFunctionToolSchema, OtherToolSchema])).max(MAX_TOOLS).nullable().optional(),
  tool_choice: ResponsesToolChoiceSchema.nullable().optional(),
  parallel_tool_calls: z.boolean().nullable().optional(),
  text: z.looseObject({ format: ResponsesTextFormatSchema.nullable().optional() }).nullable().optional(),
  /** Alternatives per token for the log probabilities that `include` asks for. */
  top_logprobs: z.int().min(0).max(20).nullable().optional(),
  include: z.array(z.string()).nullable().optional(),
});
export type ResponsesRequest = z.infer<typeof ResponsesRequestSchema>;

/** Text of an input message or a call's output (only text parts reach this; the others are refused before). */
export function responsesText(content: ResponsesInputMessage["content"]): string {
  if (typeof content === "string") return content;
  return content.map((part) => (typeof part.text === "string" ? part.text : "")).join("");
}

/** What `include` names to get each output token's log probability. */
export const RESPONSES_LOGPROBS_INCLUDE = "message.output_text.logprobs";

/** Whether a request's `include` asks for the output text's log probabilities. */
export function includesLogprobs(req: Pick<ResponsesRequest, "include">): boolean {
  return (req.include ?? []).includes(RESPONSES_LOGPROBS_INCLUDE);
}

const OutputLogprobAltSchema = z.object({ token: z.string(), logprob: z.number(), bytes: z.array(z.int().min(0).max(255)) });
/** One token of an output_text part: its log probability (natural log), UTF-8 bytes and the top_logprobs most likely alternatives. */
export const ResponsesOutputLogprobSchema = OutputLogprobAltSchema.extend({ top_logprobs: z.array(OutputLogprobAltSchema) });
export type ResponsesOutputLogprob = z.infer<typeof ResponsesOutputLogprobSchema>;

const StreamLogprobAltSchema = z.object({ token: z.string(), logprob: z.number() });
/** One token in response.output_text.delta / .done: as in an output_text part but without bytes (OpenAI's event shape). */
export const ResponsesStreamLogprobSchema = StreamLogprobAltSchema.extend({ top_logprobs: z.array(StreamLogprobAltSchema) });
export type ResponsesStreamLogprob = z.infer<typeof ResponsesStreamLogprobSchema>;

/** An output_text part; `logprobs` is [] unless `include` asked for them (as OpenAI sends it). */
const OutputTextSchema = z.object({ type: z.literal("output_text"), text: z.string(), annotations: z.array(z.unknown()), logprobs: z.array(ResponsesOutputLogprobSchema) });
const ItemStatusSchema = z.enum(["in_progress", "completed", "incomplete"]);

export const ResponsesOutputMessageSchema = z.object({
  type: z.literal("message"),
  id: z.string(),
  status: ItemStatusSchema,
  role: z.literal("assistant"),
  content: z.array(OutputTextSchema),
});
export type ResponsesOutputMessage = z.infer<typeof ResponsesOutputMessageSchema>;

/** A call the model made: `call_id` is what the follow-up's function_call_output answers. */
export const ResponsesOutputFunctionCallSchema = z.object({
  type: z.literal("function_call"),
  id: z.string(),
  call_id: z.string(),
  name: z.string(),
  arguments: z.string(),
  status: ItemStatusSchema,
});
export type ResponsesOutputFunctionCall = z.infer<typeof ResponsesOutputFunctionCallSchema>;

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
  output: z.array(z.discriminatedUnion("type", [ResponsesOutputMessageSchema, ResponsesOutputFunctionCallSchema])),
  parallel_tool_calls: z.boolean(),
  previous_response_id: z.null(),
  store: z.literal(false),
  temperature: z.number().nullable(),
  text: z.object({ format: ResponsesTextFormatSchema }),
  tool_choice: z.union([z.enum(["auto", "none", "required"]), z.object({ type: z.literal("function"), name: z.string() })]),
  tools: z.array(z.object({ type: z.literal("function"), name: z.string(), description: z.string().nullable(), parameters: z.record(z.string(), z.unknown()).nullable(), strict: z.boolean().nullable() })),
  top_logprobs: z.int().min(0).max(20),
  top_p: z.number().nullable(),
  truncation: z.literal("disabled"),
  usage: ResponsesUsageSchema.nullable(),
  user: z.string().nullable(),
  metadata: z.record(z.string(), z.string()),
});
export type ResponseObject = z.infer<typeof ResponseObjectSchema>;

export const RESPONSES_STREAM_EVENT_TYPES = [
  "response.created", "response.in_progress", "response.output_item.added", "response.content_part.added", "response.output_text.delta",
  "response.output_text.done", "response.content_part.done", "response.function_call_arguments.delta", "response.function_call_arguments.done",
  "response.output_item.done", "response.completed", "response.incomplete", "response.failed", "error",
] as const;

/** One streamed event: `event: <type>` + `data: {type, sequence_number, …}`. */
export const ResponsesStreamEventSchema = z.looseObject({
  type: z.enum(RESPONSES_STREAM_EVENT_TYPES),
  sequence_number: z.int().min(0),
});
