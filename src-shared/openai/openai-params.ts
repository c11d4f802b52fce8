import { isTrue, nonEmptyArray, nonEmptyObject, present, type ParamPolicy, type ParamRule } from "../compat/param-policy.js";

// What /v1/chat/completions and /v1/completions do with each OpenAI parameter. A rule marked
// refused or partial names what the engine cannot do yet; remove it when the engine can.

const moreThanOne = (value: unknown): boolean => typeof value === "number" && value > 1;

const COMMON: readonly ParamRule[] = [
  { param: "model", support: "supported", note: "an id from GET /v1/models, or sha256:<hex>" },
  { param: "stream", support: "supported", note: "server-sent chunks ending with data: [DONE]" },
  { param: "stream_options", support: "supported", note: "with stream: true only (OpenAI refuses it without); include_usage adds a final chunk with usage; no obfuscation padding is ever sent (include_obfuscation changes nothing)" },
  { param: "max_tokens", support: "supported", note: "default 256, shortened to what the context leaves after a long prompt (an explicit value that does not fit is a 400 CONTEXT_TOO_LONG); at most 50,000, the most one request generates" },
  { param: "temperature", support: "supported", note: "0 to 2; absent: 0, greedy and reproducible (OpenAI's default is 1): send it to sample" },
  { param: "top_p", support: "supported", note: "0 to 1" },
  { param: "top_k", support: "supported", note: "llama.cpp extension" },
  { param: "seed", support: "supported", note: "negative seeds mean random" },
  { param: "stop", support: "supported", note: "up to 64 non-empty strings (OpenAI takes 4), found in the text as generated (also across tokens and with spaces) and left out of it" },
  { param: "user", support: "supported", note: "recorded in the log and the audit trail with the task; it does not open a session (sessions are opt-in through /v2)" },
  { param: "cache_prompt", support: "partial", note: "llama.cpp extension: a slot reuses the cached start of its previous prompt (only true is accepted)", refuses: (v) => v === false },
  { param: "n", support: "partial", note: "only one choice per request (n > 1 is refused)", refuses: moreThanOne },
  { param: "frequency_penalty", support: "supported", note: "-2 to 2, over the last repeat_last_n generated tokens (default 64)" },
  { param: "presence_penalty", support: "supported", note: "-2 to 2, over the last repeat_last_n generated tokens (default 64)" },
  { param: "logit_bias", support: "supported", note: "token id → -100 (banned) to 100; an id outside the model's vocabulary, or an end-of-generation token, is refused" },
  { param: "min_p", support: "supported", note: "llama.cpp extension, 0 to 1" },
  { param: "repeat_penalty", support: "supported", note: "llama.cpp extension, above 0 up to 10 (1: off)" },
  { param: "repeat_last_n", support: "supported", note: "llama.cpp extension: how many generated tokens the penalties look at (default 64, 0: off, -1: all)" },
];

/** Parameters of POST /v1/chat/completions. */
export const CHAT_COMPLETION_PARAMS: ParamPolicy = {
  unknownNote: "it is not a chat completion parameter this server knows, so it cannot be honoured",
  rules: [
    ...COMMON,
    { param: "messages", support: "supported", note: "system, developer, user, assistant (with tool_calls) and tool turns; the last one from the user, a tool result, or an assistant prefill the model continues (as llama-server does); system and developer turns alone are answered (the model speaks first)" },
    { param: "messages[].role", support: "partial", note: "function turns (the deprecated function-calling API) are refused; use tools and tool turns", refuses: (v) => Array.isArray(v) && v.some((m: unknown) => (m as { role?: unknown } | null)?.role === "function") },
    { param: "messages[].content", support: "partial", note: "text only; image, audio and file content parts are refused", refuses: hasNonTextPart, locate: nonTextPart },
    { param: "messages[].name", support: "supported", note: "accepted and not shown to the model: the chat templates render no participant names (as llama-server)" },
    { param: "max_completion_tokens", support: "supported", note: "wins over max_tokens; at most 50,000" },
    { param: "tools", support: "supported", note: "function tools; arguments are generated under a llama.cpp grammar from `parameters`, so they always parse and have its shape; with `strict: true` every keyword is enforced or refused by name, without it (OpenAI enforces nothing then) value constraints a grammar cannot express (pattern, format other than date/time/date-time, number bounds, open integer bounds, uniqueItems) are left to the model; untyped values are any JSON; structure a grammar cannot express (allOf, not, external $ref) is refused by name" },
    { param: "tool_choice", support: "partial", note: "auto, none, required, or a named function (the call is then forced by the grammar; only that function is offered); allowed_tools and custom tool choices are refused", refuses: (v) => present(v) && typeof v !== "string" && (v as { type?: unknown }).type !== "function" },
    { param: "functions", support: "partial", note: "it is the deprecated form of tools; send the same definitions as tools: [{\"type\":\"function\",\"function\":{…}}] (only [] is accepted)", refuses: nonEmptyArray },
    { param: "function_call", support: "partial", note: "it is the deprecated form of tool_choice; use tool_choice with tools (only \"none\" is accepted)", refuses: (v) => present(v) && v !== "none" },
    { param: "parallel_tool_calls", support: "supported", note: "false allows one call per turn; chat formats without parallel calls make one call per turn anyway" },
    { param: "response_format", support: "supported", note: "text, json_object and json_schema, generated under a llama.cpp grammar so the output parses and validates (strict or not); schema keywords the grammar cannot express (pattern, allOf, numeric bounds other than closed integer ranges and integers bounded at the sign such as zod's .nonnegative(), …) are refused by name; not together with tools the model may call" },
    { param: "logprobs", support: "supported", note: "from the sampler's token probabilities" },
    { param: "top_logprobs", support: "supported", note: "0 to 20 alternatives per token; needs logprobs: true" },
    { param: "modalities", support: "partial", note: "text output only", refuses: (v) => Array.isArray(v) && v.some((m) => m !== "text") },
    { param: "audio", support: "refused", note: "no audio output", refuses: present },
    { param: "prediction", support: "refused", note: "no predicted outputs", refuses: present },
    { param: "reasoning_effort", support: "refused", note: "the served models are not reasoning models", refuses: present },
    { param: "verbosity", support: "refused", note: "no verbosity control", refuses: present },
    { param: "web_search_options", support: "refused", note: "no web search", refuses: present },
    { param: "store", support: "partial", note: "completions are not stored (only false is accepted)", refuses: isTrue },
    { param: "metadata", support: "partial", note: "completions are not stored, so there is nothing to tag (only {} is accepted)", refuses: nonEmptyObject },
    { param: "service_tier", support: "partial", note: "one service tier (only \"auto\" and \"default\" are accepted)", refuses: (v) => present(v) && v !== "auto" && v !== "default" },
    { param: "prompt_cache_key", support: "supported", note: "accepted as a hint; prompt caching is per pool" },
    { param: "safety_identifier", support: "supported", note: "recorded like user" },
  ],
};

/** Parameters of POST /v1/completions. */
export const COMPLETION_PARAMS: ParamPolicy = {
  unknownNote: "it is not a completion parameter this server knows, so it cannot be honoured",
  rules: [
    ...COMMON,
    { param: "prompt", support: "partial", note: "one string (or an array of one string); several prompts or token-id prompts are refused", refuses: (v) => Array.isArray(v) && (v.length !== 1 || typeof v[0] !== "string") },
    { param: "echo", support: "partial", note: "the prompt is not echoed (only false is accepted)", refuses: isTrue },
    { param: "logprobs", support: "supported", note: "0 to 5 alternatives per token, from the sampler's token probabilities" },
    { param: "best_of", support: "partial", note: "only one candidate per request (best_of > 1 is refused)", refuses: moreThanOne },
    { param: "suffix", support: "supported", note: "fill in the middle with the model's fill-in-the-middle tokens (prompt before the gap, suffix after it); a model without them is a 400 INVALID_PARAMS" },
  ],
};

/** True when some message has a content part that is not text. */
function hasNonTextPart(messages: unknown): boolean {
  return nonTextPart(messages) !== undefined;
}

/** The first content part that is not text, as `messages[i].content[j] (<type> part)`, for the refusal's message. */
function nonTextPart(messages: unknown): string | undefined {
  if (!Array.isArray(messages)) return undefined;
  for (const [i, m] of messages.entries()) {
    const content = (m as { content?: unknown } | null)?.content;
    if (!Array.isArray(content)) continue;
    const j = content.findIndex((part: unknown) => (part as { type?: unknown } | null)?.type !== "text");
    if (j < 0) continue;
    const type = (content[j] as { type?: unknown } | null)?.type;
    return `messages[${i}].content[${j}] (${typeof type === "string" ? `${JSON.stringify(type).slice(1, -1).slice(0, 64)} part` : "part without a type"})`;
  }
  return undefined;
}
