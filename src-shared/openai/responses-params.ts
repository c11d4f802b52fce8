import { isTrue, nonEmptyObject, present, type ParamPolicy } from "../compat/param-policy.js";
import { RESPONSES_LOGPROBS_INCLUDE } from "./responses.js";


/** What POST /v1/responses does with each parameter; refused ones wait for stored responses or hosted tools. */
export const RESPONSES_PARAMS: ParamPolicy = {
  unknownNote: "it is not a Responses API parameter this server knows, so it cannot be honoured",
  rules: [
    { param: "model", support: "supported", note: "an id from GET /v1/models, or sha256:<hex>" },
    { param: "input", support: "supported", note: "a string, or a list of user, assistant, system and developer messages; the last one from the user or an assistant prefill the model continues; instructions and system or developer messages alone are answered (input may then be left out)" },
    { param: "input[]", support: "partial", note: "message items with text parts (input_text, output_text), function_call items (earlier calls) and function_call_output items (their text results); images, files, item references and other items are refused", refuses: hasUnsupportedInput },
    { param: "instructions", support: "supported", note: "sent as the system turn" },
    { param: "max_output_tokens", support: "supported", note: "default 256, shortened to what the context leaves after a long input; reaching it ends the response as incomplete; at most 50,000" },
    { param: "temperature", support: "supported", note: "0 to 2; absent: 0, greedy and reproducible (OpenAI's default is 1): send it to sample" },
    { param: "top_p", support: "supported", note: "0 to 1" },
    { param: "stream", support: "supported", note: "response.created … response.output_text.delta … response.completed" },
    { param: "stream_options", support: "supported", note: "no obfuscation padding is ever sent" },
    { param: "user", support: "supported", note: "recorded in the log and the audit trail; it does not open a session" },
    { param: "safety_identifier", support: "supported", note: "recorded like user" },
    { param: "prompt_cache_key", support: "supported", note: "accepted as a hint; prompt caching is per pool" },
    { param: "parallel_tool_calls", support: "supported", note: "false allows one call per turn; chat formats without parallel calls make one call per turn anyway" },
    { param: "truncation", support: "partial", note: "input is never truncated (only \"disabled\" is accepted)", refuses: (v) => present(v) && v !== "disabled" },
    { param: "tools", support: "partial", note: "function tools; arguments are generated under a llama.cpp grammar from `parameters`, so they always parse and validate (strict by default, as on OpenAI: a schema keyword the grammar cannot express is refused by name; with `strict: false` value constraints it cannot express — pattern, format other than date/time/date-time, number bounds, open integer bounds, uniqueItems — are left to the model); hosted tools (web search, file search, code interpreter, MCP, …) are refused", refuses: (v) => Array.isArray(v) && v.some((t: unknown) => (t as { type?: unknown } | null)?.type !== "function") },
    { param: "tool_choice", support: "partial", note: "auto, none, required, or {type: \"function\", name} (the call is then forced by the grammar); allowed_tools and hosted tool choices are refused", refuses: (v) => present(v) && typeof v !== "string" && (v as { type?: unknown }).type !== "function" },
    { param: "max_tool_calls", support: "refused", note: "no limit across turns (parallel_tool_calls: false allows one call per turn)", refuses: present },
    { param: "text", support: "partial", note: "{format, verbosity}; another key is refused", refuses: (v) => present(v) && hasOtherTextKeys(v) },
    { param: "text.format", support: "partial", note: "text, json_object and json_schema, generated under a llama.cpp grammar so the output parses and validates (strict or not; schema keywords the grammar cannot express are refused by name; not together with tools the model may call)", refuses: (v) => present(v) && !["text", "json_object", "json_schema"].includes(String((v as { type?: unknown }).type)) },
    { param: "text.verbosity", support: "partial", note: "no verbosity control (only \"medium\" is accepted)", refuses: (v) => present(v) && v !== "medium" },
    { param: "reasoning", support: "refused", note: "the served models are not reasoning models", refuses: nonEmptyObject },
    { param: "top_logprobs", support: "supported", note: "0 to 20 alternatives per token, from the sampler's token probabilities; reported only when include has \"message.output_text.logprobs\" (as OpenAI does: without it they are accepted and not computed)" },
    { param: "include", support: "partial", note: "\"message.output_text.logprobs\": each output_text part, response.output_text.delta and response.output_text.done carry the log probabilities of their tokens (tool-call tokens have none); other values (search results, image URLs, code interpreter outputs, reasoning.encrypted_content) are refused", refuses: (v) => Array.isArray(v) && v.some((x: unknown) => x !== RESPONSES_LOGPROBS_INCLUDE) },
    { param: "previous_response_id", support: "refused", note: "responses are not stored; send the whole conversation in input", refuses: present },
    { param: "conversation", support: "refused", note: "conversations are not stored; send the whole conversation in input", refuses: present },
    { param: "prompt", support: "refused", note: "no stored prompt templates", refuses: present },
    { param: "store", support: "partial", note: "responses are not stored (only false is accepted)", refuses: isTrue },
    { param: "background", support: "partial", note: "no background responses (only false is accepted)", refuses: isTrue },
    { param: "metadata", support: "partial", note: "responses are not stored, so there is nothing to tag (only {} is accepted)", refuses: nonEmptyObject },
    { param: "service_tier", support: "partial", note: "one service tier (only \"auto\" and \"default\" are accepted)", refuses: (v) => present(v) && v !== "auto" && v !== "default" },
  ],
};

/** text: {format?, verbosity?}; the format's own fields are checked by the schema and the mapping. */
function hasOtherTextKeys(text: unknown): boolean {
  if (typeof text !== "object" || text === null) return true;
  return Object.keys(text).some((key) => key !== "format" && key !== "verbosity");
}

const TEXT_PARTS = ["input_text", "output_text"];
const hasNonTextPart = (content: unknown): boolean => Array.isArray(content) && content.some((p: unknown) => !TEXT_PARTS.includes(String((p as { type?: unknown } | null)?.type)));

function hasUnsupportedInput(input: unknown): boolean {
  if (!Array.isArray(input)) return false;
  return input.some((item: unknown) => {
    const it = item as { type?: unknown; role?: unknown; content?: unknown; output?: unknown } | null;
    if (it === null || typeof it !== "object") return true;
    if (it.type === "function_call") return false;
    if (it.type === "function_call_output") return hasNonTextPart(it.output);
    if ((it.type !== undefined && it.type !== "message") || it.role === undefined) return true;
    return hasNonTextPart(it.content);
  });
}
