import { z } from "zod";
import { MAX_TOP_LOGPROBS } from "../tasks/generation.js";
import { MAX_STOP_STRINGS, MAX_TOKENS_LIMIT } from "../worker-api/sampling.js";
import { OllamaKeepAliveSchema } from "./ollama-keep-alive.js";

// Ollama's generation requests (/api/chat, /api/generate), as Open WebUI, Continue and ollama-js send
// them. Loose: the adapter refuses by name what it cannot honour (ollama-params.ts).

/** `options`: the sampling ones are served; the rest are refused by name. */
export const OllamaOptionsSchema = z.looseObject({
  num_predict: z.int().optional(),
  num_ctx: z.int().min(1).optional(),
  temperature: z.number().min(0).max(2).optional(),
  top_k: z.int().min(0).optional(),
  top_p: z.number().min(0).max(1).optional(),
  min_p: z.number().min(0).max(1).optional(),
  repeat_penalty: z.number().gt(0).max(10).optional(),
  /** 0: penalties off; -1: over everything generated (Ollama: the whole context). */
  repeat_last_n: z.int().min(-1).max(MAX_TOKENS_LIMIT).optional(),
  presence_penalty: z.number().min(-2).max(2).optional(),
  frequency_penalty: z.number().min(-2).max(2).optional(),
  /** Negative: random (Ollama's default is -1). */
  seed: z.int().optional(),
  stop: z.array(z.string().min(1)).max(MAX_STOP_STRINGS).optional(),
});
export type OllamaOptions = z.infer<typeof OllamaOptionsSchema>;

/** A call the model made (assistant turns), as Ollama shapes it: the arguments as an object. */
export const OllamaToolCallSchema = z.looseObject({
  id: z.string().optional(),
  function: z.looseObject({ index: z.int().min(0).optional(), name: z.string().min(1), arguments: z.record(z.string(), z.unknown()) }),
});
export type OllamaToolCall = z.infer<typeof OllamaToolCallSchema>;

export const OllamaChatMessageSchema = z.looseObject({
  role: z.enum(["system", "user", "assistant", "tool"]),
  // Go's zero value, as Ollama reads a turn without it: ollama-python drops an empty content (an
  // assistant turn that only carries tool_calls) before sending.
  content: z.string().default(""),
  /** On assistant turns: the calls it made. */
  tool_calls: z.array(OllamaToolCallSchema).optional(),
  /** On tool turns: the function whose result this is (optional; without it, results answer the calls in order). */
  tool_name: z.string().optional(),
});
export type OllamaChatMessage = z.infer<typeof OllamaChatMessageSchema>;

/** A function the model may call. */
export const OllamaToolSchema = z.looseObject({
  // Ollama reads a tool without a type as a function (the only kind it has).
  type: z.literal("function").default("function"),
  function: z.looseObject({ name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/), description: z.string().optional(), parameters: z.record(z.string(), z.unknown()).optional() }),
});

/** tool_choice as ollama-ai-provider-v2 sends it (OpenAI's Responses form); other objects are refused by the mapping, by name. */
export const OllamaToolChoiceSchema = z.union([z.enum(["auto", "none", "required"]), z.looseObject({ type: z.string().min(1), name: z.string().min(1).optional() })]);
export type OllamaToolChoice = z.infer<typeof OllamaToolChoiceSchema>;

const GENERATION_FIELDS = {
  model: z.string().min(1),
  /** Ollama streams unless told otherwise. */
  stream: z.boolean().optional(),
  options: OllamaOptionsSchema.optional(),
  /** "json", or a JSON schema the output must validate against. */
  format: z.union([z.literal(""), z.literal("json"), z.record(z.string(), z.unknown())]).optional(),
  /** How long the model stays loaded afterwards: a duration string or seconds. */
  keep_alive: OllamaKeepAliveSchema.optional(),
  /** Each generated token's log probability in the lines (Ollama 0.12.11+, ollama-js 0.6). */
  logprobs: z.boolean().optional(),
  /** With logprobs: this many most likely alternatives per token (0 to 20). */
  top_logprobs: z.int().min(0).max(MAX_TOP_LOGPROBS).optional(),
  // Top-level sampling fields the Vercel AI SDK's ollama-ai-provider-v2 sends (Ollama itself ignores
  // them): read as options.temperature, options.top_p and options.num_predict.
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().min(0).max(1).optional(),
  max_output_tokens: z.int().min(1).optional(),
};

export const OllamaChatRequestSchema = z.looseObject({
  ...GENERATION_FIELDS,
  /** Absent or empty: only load the model (answered at once with done_reason "load"). */
  messages: z.array(OllamaChatMessageSchema).optional(),
  /** Functions the model may call. */
  tools: z.array(OllamaToolSchema).max(128).optional(),
  /**
   * Not Ollama's (its server ignores it), but ollama-ai-provider-v2 sends the AI SDK's toolChoice here:
   * "auto", "none", "required" or `{type: "function", name}`. Honoured, so a forced call is forced.
   */
  tool_choice: OllamaToolChoiceSchema.optional(),
});
export type OllamaChatRequest = z.infer<typeof OllamaChatRequestSchema>;

export const OllamaGenerateRequestSchema = z.looseObject({
  ...GENERATION_FIELDS,
  /** Absent or empty: only load the model (answered at once with done_reason "load"). */
  prompt: z.string().optional(),
  system: z.string().optional(),
  /** true: the prompt is sent as is, without the model's chat template. */
  raw: z.boolean().optional(),
  /** Fill in the middle (Continue's autocomplete): the text after the gap, the prompt the text before it. */
  suffix: z.string().optional(),
});
export type OllamaGenerateRequest = z.infer<typeof OllamaGenerateRequestSchema>;
