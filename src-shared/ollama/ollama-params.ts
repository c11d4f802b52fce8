import { nonEmptyArray, present, truthy, type ParamPolicy, type ParamRule } from "../compat/param-policy.js";

// What /api/chat and /api/generate do with each parameter and option.

const notNeutral = (neutral: number) => (value: unknown): boolean => typeof value !== "number" || value !== neutral;
const keepAliveZero = (value: unknown): boolean => value === 0 || value === "0" || (typeof value === "string" && /^0+(\.0+)?[a-z]*$/.test(value));

const COMMON: readonly ParamRule[] = [
  { param: "model", support: "supported", note: "a name from /api/tags (`<name>:latest` too), or sha256:<hex>" },
  { param: "stream", support: "supported", note: "NDJSON lines, the last with done:true; stream:false answers with one object" },
  { param: "options", support: "supported", note: "see the options rows" },
  { param: "keep_alive", support: "partial", note: "pools keep their model loaded; 0 (unload now) is refused", refuses: keepAliveZero },
  { param: "format", support: "supported", note: "\"json\" or a JSON schema, generated under a llama.cpp grammar (schema keywords a grammar cannot express are refused by name, as on /v1/chat/completions)" },
  { param: "temperature", support: "supported", note: "top level, as ollama-ai-provider-v2 sends it: read as options.temperature (both set and different: refused)" },
  { param: "top_p", support: "supported", note: "top level, as ollama-ai-provider-v2 sends it: read as options.top_p (both set and different: refused)" },
  { param: "max_output_tokens", support: "supported", note: "top level, as ollama-ai-provider-v2 sends it: read as options.num_predict (both set and different: refused)" },
  { param: "think", support: "partial", note: "the served models do not think (only false is accepted)", refuses: (v) => truthy(v) },
  { param: "logprobs", support: "supported", note: "each line's tokens with their log probability and UTF-8 bytes (the done line of stream:false: all of them)" },
  { param: "top_logprobs", support: "supported", note: "0 to 20 alternatives per token; needs logprobs: true" },
];

/** POST /api/chat. */
export const OLLAMA_CHAT_PARAMS: ParamPolicy = {
  unknownNote: "it is not an /api/chat parameter this server knows, so it cannot be honoured",
  rules: [
    ...COMMON,
    { param: "messages", support: "supported", note: "system, user, assistant and tool turns; the last one from the user, a tool, or an assistant prefill the model continues; none: only load the model; a history longer than the context loses its oldest turns as Ollama's does (system messages kept, restarting at a user turn)" },
    { param: "messages[]", support: "partial", note: "text, assistant tool_calls and tool turns (tool_name optional: results answer the calls in order); images are refused", refuses: hasImages },
    { param: "tools", support: "supported", note: "functions the model may call; arguments are generated under a llama.cpp grammar from parameters, which enforces their shape; value constraints a grammar cannot express (pattern, format other than date/time/date-time, number bounds, open integer bounds, uniqueItems) are not enforced, as Ollama enforces none, untyped values are any JSON, and structure a grammar cannot express (allOf, not, external $ref) is refused by name" },
    { param: "tool_choice", support: "supported", note: "not Ollama's, but what ollama-ai-provider-v2 sends for the AI SDK's toolChoice: \"auto\" (the model decides; also without it), \"none\" (no call), \"required\" (some call) or {type: \"function\", name} (that call)" },
  ],
};

/** POST /api/generate. */
export const OLLAMA_GENERATE_PARAMS: ParamPolicy = {
  unknownNote: "it is not an /api/generate parameter this server knows, so it cannot be honoured",
  rules: [
    ...COMMON,
    { param: "prompt", support: "supported", note: "sent as the user turn of the model's chat template (raw: the prompt as is); none: only load the model" },
    { param: "system", support: "supported", note: "sent as the system turn (not with raw)" },
    { param: "raw", support: "supported", note: "the prompt is completed as is" },
    { param: "images", support: "partial", note: "no image input (only [] is accepted)", refuses: nonEmptyArray },
    { param: "suffix", support: "supported", note: "fill in the middle with the model's fill-in-the-middle tokens, the prompt as the text before the gap (no template, as Ollama's FIM); a model without them is a 400, not with system" },
    { param: "template", support: "partial", note: "the model's own chat template is used (only \"\" is accepted)", refuses: (v) => typeof v === "string" && v !== "" },
    { param: "context", support: "partial", note: "no token context is kept between requests (only [] is accepted)", refuses: nonEmptyArray },
    { param: "width", support: "refused", note: "no image generation", refuses: present },
    { param: "height", support: "refused", note: "no image generation", refuses: present },
    { param: "steps", support: "refused", note: "no image generation", refuses: present },
  ],
};

const LOAD_TIME = "is a load-time setting of the worker's pool, not of a request";
const LOAD_TIME_OPTIONS = ["num_gpu", "main_gpu", "num_thread", "num_batch", "use_mmap", "use_mlock", "numa", "low_vram", "f16_kv", "vocab_only", "logits_all", "embedding_only"] as const;

/** The keys of `options`. */
export const OLLAMA_OPTIONS: ParamPolicy = {
  unknownNote: "it is not an option this server knows, so it cannot be honoured",
  rules: [
    { param: "num_predict", support: "supported", note: "-1, -2 or absent: until the model stops or its context is full; a larger limit than the context holds also ends when the context is full (done_reason length), as Ollama never refuses it" },
    { param: "num_ctx", support: "supported", note: "the context the task needs (a pool with at least that much serves it; the prompt is never cut); more than the model's trained context length is that length, as Ollama clamps it" },
    { param: "temperature", support: "supported", note: "0 to 2; absent: 0, greedy and reproducible (Ollama's own default is 0.8): send it to sample" },
    { param: "top_k", support: "supported", note: "" },
    { param: "top_p", support: "supported", note: "0 to 1" },
    { param: "seed", support: "supported", note: "negative: random" },
    { param: "stop", support: "supported", note: "up to 64 strings" },
    { param: "min_p", support: "supported", note: "0 to 1" },
    { param: "repeat_penalty", support: "supported", note: "above 0 up to 10 (1: off; Ollama's own default 1.1 applies only when sent)" },
    { param: "repeat_last_n", support: "supported", note: "how many generated tokens the penalties look at (default 64, 0: off, -1: all)" },
    { param: "presence_penalty", support: "supported", note: "-2 to 2" },
    { param: "frequency_penalty", support: "supported", note: "-2 to 2" },
    ...(["typical_p", "tfs_z"] as const).map((param): ParamRule => ({ param, support: "partial", note: "the engine has no such sampler yet (only 1 is accepted)", refuses: notNeutral(1) })),
    { param: "mirostat", support: "partial", note: "the engine has no such sampler yet (only 0 is accepted)", refuses: notNeutral(0) },
    ...(["mirostat_tau", "mirostat_eta", "penalize_newline", "num_keep"] as const).map((param): ParamRule => ({ param, support: "refused", note: "the engine has no such sampler setting yet", refuses: present })),
    ...LOAD_TIME_OPTIONS.map((param): ParamRule => ({ param, support: "refused", note: `it ${LOAD_TIME}`, refuses: present })),
  ],
};

/**
 * `options` of the embedding endpoints: Ollama takes the same object there (LangChain's OllamaEmbeddings
 * sends its requestOptions). What it sets for generation does not change a vector, and inputs are never
 * cut (num_ctx included); only what the pool is loaded with, and unknown keys, cannot be honoured.
 */
export function embeddingOptionsRefused(options: unknown): boolean {
  if (options === undefined || options === null) return false;
  if (typeof options !== "object" || Array.isArray(options)) return true;
  const known = new Set(OLLAMA_OPTIONS.rules.map((r) => r.param));
  return Object.entries(options).some(([key, value]) => value !== null && (!known.has(key) || (LOAD_TIME_OPTIONS as readonly string[]).includes(key)));
}

function hasImages(messages: unknown): boolean {
  return Array.isArray(messages) && messages.some((m: unknown) => nonEmptyArray(((m ?? {}) as { images?: unknown }).images));
}
