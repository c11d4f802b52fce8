import { isTrue, positive, nonEmptyArray, nonEmptyObject, present, type ParamPolicy } from "../compat/param-policy.js";


/** What POST /v1/responses does with each parameter; refused ones wait for the engine (tools, structured output) or for stored responses. */
export const RESPONSES_PARAMS: ParamPolicy = {
  unknownNote: "it is not a Responses API parameter this server knows, so it cannot be honoured",
  rules: [
    { param: "model", support: "supported", note: "an id from GET /v1/models, or sha256:<hex>" },
    { param: "input", support: "supported", note: "a string, or a list of user, assistant, system and developer messages; the last one from the user" },
    { param: "input[]", support: "partial", note: "only message items with text parts (input_text, output_text); images, files and tool items are refused", refuses: hasNonTextInput },
    { param: "instructions", support: "supported", note: "sent as the system turn" },
    { param: "max_output_tokens", support: "supported", note: "default 256; reaching it ends the response as incomplete" },
    { param: "temperature", support: "supported", note: "0 to 2" },
    { param: "top_p", support: "supported", note: "0 to 1" },
    { param: "stream", support: "supported", note: "response.created … response.output_text.delta … response.completed" },
    { param: "stream_options", support: "supported", note: "no obfuscation padding is ever sent" },
    { param: "user", support: "supported", note: "recorded in the log and the audit trail; it does not open a session" },
    { param: "safety_identifier", support: "supported", note: "recorded like user" },
    { param: "prompt_cache_key", support: "supported", note: "accepted as a hint; prompt caching is per pool" },
    { param: "parallel_tool_calls", support: "supported", note: "no effect: tools are refused" },
    { param: "truncation", support: "partial", note: "input is never truncated (only \"disabled\" is accepted)", refuses: (v) => present(v) && v !== "disabled" },
    { param: "tools", support: "partial", note: "the engine does not call tools yet (only [] is accepted)", refuses: nonEmptyArray },
    { param: "tool_choice", support: "partial", note: "the engine does not call tools yet (only \"none\" and \"auto\" are accepted)", refuses: (v) => present(v) && v !== "none" && v !== "auto" },
    { param: "max_tool_calls", support: "refused", note: "the engine does not call tools yet", refuses: present },
    { param: "text", support: "partial", note: "structured output is not available yet; only {format: {type: \"text\"}} is accepted", refuses: (v) => present(v) && !isPlainTextFormat(v) },
    { param: "reasoning", support: "refused", note: "the served models are not reasoning models", refuses: nonEmptyObject },
    { param: "top_logprobs", support: "partial", note: "the engine does not report log probabilities yet (only 0 is accepted)", refuses: positive },
    { param: "include", support: "partial", note: "no extra output data (only [] is accepted)", refuses: nonEmptyArray },
    { param: "previous_response_id", support: "refused", note: "responses are not stored; send the whole conversation in input", refuses: present },
    { param: "conversation", support: "refused", note: "conversations are not stored; send the whole conversation in input", refuses: present },
    { param: "prompt", support: "refused", note: "no stored prompt templates", refuses: present },
    { param: "store", support: "partial", note: "responses are not stored (only false is accepted)", refuses: isTrue },
    { param: "background", support: "partial", note: "no background responses (only false is accepted)", refuses: isTrue },
    { param: "metadata", support: "partial", note: "responses are not stored, so there is nothing to tag (only {} is accepted)", refuses: nonEmptyObject },
    { param: "service_tier", support: "partial", note: "one service tier (only \"auto\" and \"default\" are accepted)", refuses: (v) => present(v) && v !== "auto" && v !== "default" },
  ],
};

function isPlainTextFormat(text: unknown): boolean {
  if (typeof text !== "object" || text === null) return false;
  const { format, ...rest } = text as { format?: { type?: unknown } };
  return Object.keys(rest).length === 0 && (format === undefined || format.type === "text");
}

function hasNonTextInput(input: unknown): boolean {
  if (!Array.isArray(input)) return false;
  return input.some((item: unknown) => {
    const it = item as { type?: unknown; role?: unknown; content?: unknown } | null;
    if (it === null || typeof it !== "object" || (it.type !== undefined && it.type !== "message") || it.role === undefined) return true;
    return Array.isArray(it.content) && it.content.some((p: unknown) => !["input_text", "output_text"].includes(String((p as { type?: unknown } | null)?.type)));
  });
}
