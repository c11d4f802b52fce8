import { z } from "zod";
import { ChatMessageSchema } from "../worker-api/chat-message.js";
import { MAX_TOKENS_LIMIT, SAMPLING_FIELDS } from "../worker-api/sampling.js";
import { MAX_TOOLS, OutputFormatSchema, ToolChoiceSchema, ToolDefinitionSchema, type ToolChoice } from "./tool-calling.js";

/** Most alternatives per token a generation may ask log probabilities for (OpenAI's limit). */
export const MAX_TOP_LOGPROBS = 20;
/**
 * Most inputs one embedding task may carry: OpenAI's per-request limit, which the AI SDK's providers fill
 * (embedMany sends up to 2,048 values a call; LangChain's OpenAIEmbeddings 512; OllamaEmbeddings all at once).
 * The 1 MiB body limit bounds their total size.
 */
export const MAX_EMBEDDING_INPUTS = 2048;

/**
 * What to generate and how: the input (a raw `prompt`, chat `messages`, or texts to embed), the
 * output limit, the sampling and the output's constraints (a JSON format, tools). One shape carried end to end — /v2/tasks body → the orchestrator's task → the worker's
 * infer request → the engine IPC message — with the same bounds at every hop.
 */
export const GENERATION_FIELDS = {
  prompt: z.string().optional(),
  /**
   * Fill in the middle: the text after the gap, `prompt` being the text before it (code completion).
   * Needs a model with fill-in-the-middle tokens; with messages or inputs it is refused.
   */
  suffix: z.string().optional(),
  messages: z.array(ChatMessageSchema).min(1).optional(),
  /** Texts to embed: the task returns one vector per input (`embedding` events) and generates nothing. */
  inputs: z.array(z.string()).min(1).max(MAX_EMBEDDING_INPUTS).optional(),
  /**
   * Embedding inputs longer than the embedding context are cut to their first tokens that fit, as
   * Ollama's /api/embed does unless its `truncate` is false; without it such an input is CONTEXT_TOO_LONG.
   */
  truncate_inputs: z.boolean().optional(),
  /**
   * A chat longer than a slot's context drops its oldest turns until it fits, as Ollama's /api/chat
   * does: system messages stay, the history restarts at a user turn, the last user turn always stays.
   * Without it (or when even that does not fit) such a chat is CONTEXT_TOO_LONG.
   */
  drop_old_turns: z.boolean().optional(),
  max_tokens: z.int().min(1).max(MAX_TOKENS_LIMIT),
  /**
   * max_tokens is a ceiling the client did not choose (Ollama's num_predict absent, -1 or -2; an OpenAI
   * request without max_tokens): when prompt plus max_tokens exceeds a slot's context, generate until
   * the context is full (finish reason length) instead of refusing with CONTEXT_TOO_LONG.
   */
  fill_context: z.boolean().optional(),
  ...SAMPLING_FIELDS,
  /** Rank `inputs` (documents) against this query with the model's ranking head: one `score` event per input instead of vectors. */
  rank_query: z.string().min(1).max(65_536).optional(),
  /** Constrains the output to JSON (through a llama.cpp grammar). */
  format: OutputFormatSchema.optional(),
  /** Functions the model may call (chat only). */
  tools: z.array(ToolDefinitionSchema).min(1).max(MAX_TOOLS).superRefine(uniqueToolNames).optional(),
  tool_choice: ToolChoiceSchema.optional(),
  /** false: at most one call per turn. */
  parallel_tool_calls: z.boolean().optional(),
  /** Only measure the prompt (messages, tools) with the model's tokenizer and chat template: the task ends at once with tokens_in and generates nothing. */
  count_only: z.boolean().optional(),
  /** Report each token's log probability with this many most likely alternatives (0: the token's own only). */
  logprobs: z.int().min(0).max(MAX_TOP_LOGPROBS).optional(),
} as const;

/** Two tools of one name: a call could not say which it means (Anthropic and OpenAI refuse it too). */
function uniqueToolNames(tools: readonly { name: string }[], ctx: z.RefinementCtx): void {
  const first = new Map<string, number>();
  tools.forEach((tool, i) => {
    const earlier = first.get(tool.name);
    if (earlier === undefined) first.set(tool.name, i);
    else ctx.addIssue({ code: "custom", path: [i, "name"], message: `tool names must be unique: ${tool.name} is also the name of tools[${earlier}]` });
  });
}

const GENERATION_KEYS = Object.keys(GENERATION_FIELDS) as (keyof typeof GENERATION_FIELDS)[];

export const GenerationSchema = z.object(GENERATION_FIELDS);
export type Generation = z.infer<typeof GenerationSchema>;

/** A generation needs exactly one of prompt, messages or inputs; shared by every schema that embeds the fields. */
export function requireOnePromptOrMessages(value: { prompt?: unknown; messages?: unknown; inputs?: unknown; suffix?: unknown }, ctx: z.RefinementCtx, message = "exactly one of prompt or messages is required"): void {
  const count = (value.prompt === undefined ? 0 : 1) + (value.messages === undefined ? 0 : 1) + (value.inputs === undefined ? 0 : 1);
  if (count !== 1) ctx.addIssue({ code: "custom", path: ["prompt"], message });
  requireSuffixWithPrompt(value, ctx);
}

/** A suffix fills the gap after a raw prompt; chat messages and embedding inputs have no gap. */
export function requireSuffixWithPrompt(value: { prompt?: unknown; suffix?: unknown }, ctx: z.RefinementCtx): void {
  if (value.suffix !== undefined && value.prompt === undefined) ctx.addIssue({ code: "custom", path: ["suffix"], message: "suffix goes with prompt (the text before the gap), not with messages or inputs" });
}

/**
 * Tools, tool_choice and format that the engine could not all honour are refused by field, as the
 * compatible surfaces refuse them (a task took them and dropped one: format beside callable tools,
 * tools on a prompt completion, tool_choice without its tool).
 */
export function requireCoherentTools(
  value: { messages?: unknown; tools?: readonly { name: string }[] | undefined; tool_choice?: ToolChoice | undefined; format?: unknown; parallel_tool_calls?: unknown },
  ctx: z.RefinementCtx,
): void {
  const issue = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
  const choice = value.tool_choice ?? "auto";
  if (value.tools === undefined) {
    if (choice === "required") issue("tool_choice", "tool_choice required needs tools");
    else if (typeof choice === "object") issue("tool_choice", `tool_choice names ${choice.name}, but no tools were given`);
    if (value.parallel_tool_calls !== undefined) issue("parallel_tool_calls", "parallel_tool_calls goes with tools");
    return;
  }
  if (value.messages === undefined) issue("tools", "tools go with messages (a chat): a prompt completion makes no tool calls");
  if (typeof choice === "object" && !value.tools.some((t) => t.name === choice.name)) issue("tool_choice", `tool_choice names ${choice.name}, which is not among the tools`);
  if (choice !== "none" && value.format !== undefined) issue("format", 'format cannot be combined with tools the model may call (send tool_choice "none", or no tools)');
}

/** The generation fields of a larger, already validated message (a task request, an infer request), and nothing else. */
export function pickGeneration(source: Generation): Generation {
  const out: Record<string, unknown> = {};
  for (const key of GENERATION_KEYS) if (source[key] !== undefined) out[key] = source[key];
  return out as Generation;
}
