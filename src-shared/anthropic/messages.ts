import { z } from "zod";
import { blockOf } from "../common/typed-blocks.js";
import { MAX_STOP_STRINGS } from "../worker-api/sampling.js";

// Anthropic Messages API (POST /v1/messages): text and tool use. Loose: the adapter refuses by name
// what it cannot honour (MESSAGES_PARAMS), e.g. image or thinking blocks.

const TextBlockSchema = z.looseObject({ type: z.literal("text"), text: z.string() });

/** A call the assistant made earlier in the conversation. */
export const AnthropicToolUseBlockSchema = z.looseObject({ type: z.literal("tool_use"), id: z.string().min(1).max(256), name: z.string().min(1), input: z.record(z.string(), z.unknown()) });
/** The result of a tool_use, in a user turn: a string or text blocks (others are refused by MESSAGES_PARAMS' rule). */
export const AnthropicToolResultBlockSchema = z.looseObject({
  type: z.literal("tool_result"),
  tool_use_id: z.string().min(1),
  content: z.union([z.string(), z.array(blockOf({ text: TextBlockSchema }))]).optional(),
  is_error: z.boolean().optional(),
});
const ContentBlockParamSchema = blockOf({ text: TextBlockSchema, tool_use: AnthropicToolUseBlockSchema, tool_result: AnthropicToolResultBlockSchema });
export type AnthropicContentBlockParam = z.infer<typeof ContentBlockParamSchema>;

export const AnthropicMessageParamSchema = z.looseObject({
  role: z.enum(["user", "assistant"]),
  content: z.union([z.string(), z.array(ContentBlockParamSchema)]),
});

/** A client tool the model may call; `input_schema` is the JSON schema of its input object. */
export const AnthropicToolSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  description: z.string().optional(),
  // Hints this server has nothing to do with, accepted as the API defines them: prompt caching is per
  // pool; a tool call's input is streamed as it is generated anyway.
  cache_control: z.looseObject({ type: z.literal("ephemeral") }).nullable().optional(),
  eager_input_streaming: z.boolean().nullable().optional(),
  // Tool search and programmatic calling are Anthropic-side features: only their neutral values pass.
  defer_loading: z.literal(false, { error: "true is not supported: no tool search here, every tool is offered to the model" }).optional(),
  allowed_callers: z.array(z.literal("direct", { error: "only \"direct\" is supported: no code execution here" })).optional(),
  input_examples: z.never({ error: "not supported: examples are not shown to the served models; describe the input in description" }).optional(),
  /** Structured-output tools: every input_schema keyword enforced, or a 400 naming one a grammar cannot express. */
  strict: z.boolean().optional(),
  // Server tools (web_search_…, code_execution_…) have no input_schema: say why they fail, not only that it is missing.
  input_schema: z.looseObject({ type: z.literal("object") }, { error: (issue) => (issue.input === undefined ? "missing: a client tool needs input_schema (a JSON schema of type object); Anthropic's server tools (web search, code execution, …) run on Anthropic's servers and are not offered here" : undefined) }),
  // After input_schema, whose message says why a server tool (web_search_…) is refused.
  type: z.literal("custom", { error: "only client tools (type custom) are offered here: Anthropic's server tools run on Anthropic's servers" }).nullable().optional(),
});
export type AnthropicTool = z.infer<typeof AnthropicToolSchema>;

/** auto: the model decides; any: some tool; tool: that one; none: no tool. */
export const AnthropicToolChoiceSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("auto"), disable_parallel_tool_use: z.boolean().optional() }),
  z.strictObject({ type: z.literal("any"), disable_parallel_tool_use: z.boolean().optional() }),
  z.strictObject({ type: z.literal("tool"), name: z.string().min(1), disable_parallel_tool_use: z.boolean().optional() }),
  z.strictObject({ type: z.literal("none") }),
]);
export type AnthropicToolChoice = z.infer<typeof AnthropicToolChoiceSchema>;
export type AnthropicMessageParam = z.infer<typeof AnthropicMessageParamSchema>;

/**
 * output_config: `format` asks for structured output, a text block holding JSON that matches `schema`
 * (Anthropic's structured outputs; what the AI SDK and LangChain's withStructuredOutput send). Other keys
 * (effort, task_budget) are refused by MESSAGES_PARAMS.
 */
export const AnthropicOutputConfigSchema = z.looseObject({
  format: z.looseObject({ type: z.literal("json_schema"), schema: z.record(z.string(), z.unknown()) }).nullable().optional(),
});
export type AnthropicOutputConfig = z.infer<typeof AnthropicOutputConfigSchema>;

export const AnthropicMessagesRequestSchema = z.looseObject({
  model: z.string().min(1),
  /** Required by the API: there is no default output limit. */
  max_tokens: z.int().min(1),
  messages: z.array(AnthropicMessageParamSchema).min(1),
  system: z.union([z.string(), z.array(blockOf({ text: TextBlockSchema }))]).optional(),
  stop_sequences: z.array(z.string().min(1)).max(MAX_STOP_STRINGS).optional(),
  stream: z.boolean().optional(),
  temperature: z.number().min(0).max(1).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.int().min(0).optional(),
  metadata: z.strictObject({ user_id: z.string().nullable().optional() }).optional(),
  tools: z.array(AnthropicToolSchema).max(128).optional(),
  tool_choice: AnthropicToolChoiceSchema.optional(),
  output_config: AnthropicOutputConfigSchema.optional(),
  /** A prompt-caching hint (accepted; caching is per pool), in the API's shape. */
  cache_control: z.looseObject({ type: z.literal("ephemeral") }).nullable().optional(),
});
export type AnthropicMessagesRequest = z.infer<typeof AnthropicMessagesRequestSchema>;

/** POST /v1/messages/count_tokens: what a Messages request would send, without the output settings. */
export const AnthropicCountTokensRequestSchema = AnthropicMessagesRequestSchema.pick({ model: true, messages: true, system: true, tools: true, tool_choice: true, output_config: true });
export type AnthropicCountTokensRequest = z.infer<typeof AnthropicCountTokensRequestSchema>;

/** The count: the prompt as the model's tokenizer and chat template render it (tools included). */
export const AnthropicCountTokensResponseSchema = z.object({ input_tokens: z.int().min(0) });

/**
 * A plain-text document block (what the AI SDK's Anthropic provider sends for a text/plain file part):
 * source `text` (its `data`) or `content` (a string or text blocks). PDFs, URLs and files are refused
 * before (messages-params.ts), as are documents asking for citations.
 */
export function textDocument(block: unknown): string | undefined {
  const doc = block as { type?: unknown; source?: { type?: unknown; data?: unknown; content?: unknown }; title?: unknown; context?: unknown; citations?: { enabled?: unknown } | null } | null;
  if (doc?.type !== "document" || doc.citations?.enabled === true) return undefined;
  const source = doc.source;
  let body: string | undefined;
  if (source?.type === "text" && typeof source.data === "string") body = source.data;
  else if (source?.type === "content" && typeof source.content === "string") body = source.content;
  else if (source?.type === "content" && Array.isArray(source.content) && source.content.every((b: unknown) => (b as { type?: unknown } | null)?.type === "text" && typeof (b as { text?: unknown }).text === "string")) {
    body = (source.content as { text: string }[]).map((b) => b.text).join("");
  }
  if (body === undefined) return undefined;
  // Its title and context frame it, as they tell the model what the document is.
  return [doc.title, doc.context, body].filter((part): part is string => typeof part === "string" && part !== "").join("\n\n");
}

/** Text of a content (or system) value: a string, or its text blocks (and text documents) joined (tool blocks are mapped apart; others are refused before). */
export function anthropicText(content: AnthropicMessageParam["content"]): string {
  if (typeof content === "string") return content;
  return content.map((block) => (block.type === "text" && typeof block.text === "string" ? block.text : block.type === "document" ? `${textDocument(block) ?? ""}\n\n` : "")).join("");
}

export const AnthropicStopReasonSchema = z.enum(["end_turn", "max_tokens", "stop_sequence", "tool_use", "model_context_window_exceeded"]);
export type AnthropicStopReason = z.infer<typeof AnthropicStopReasonSchema>;

export const AnthropicUsageSchema = z.object({ input_tokens: z.int().min(0), output_tokens: z.int().min(0) });

export const AnthropicMessageSchema = z.object({
  id: z.string(),
  type: z.literal("message"),
  role: z.literal("assistant"),
  model: z.string(),
  content: z.array(
    z.discriminatedUnion("type", [
      z.object({ type: z.literal("text"), text: z.string() }),
      /** A call the model made: `input` validates against the tool's input_schema (a llama.cpp grammar constrains it). */
      z.object({ type: z.literal("tool_use"), id: z.string(), name: z.string(), input: z.record(z.string(), z.unknown()) }),
    ]),
  ),
  stop_reason: AnthropicStopReasonSchema.nullable(),
  /** The stop sequence that matched (the worker names it). */
  stop_sequence: z.string().nullable(),
  usage: AnthropicUsageSchema,
});
export type AnthropicMessage = z.infer<typeof AnthropicMessageSchema>;

export const ANTHROPIC_STREAM_EVENT_TYPES = ["message_start", "content_block_start", "ping", "content_block_delta", "content_block_stop", "message_delta", "message_stop", "error"] as const;

/** One streamed event: `event: <type>` + `data: {type, …}`. */
export const AnthropicStreamEventSchema = z.looseObject({ type: z.enum(ANTHROPIC_STREAM_EVENT_TYPES) });
