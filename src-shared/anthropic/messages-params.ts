import { nonEmptyArray, present, type ParamPolicy } from "../compat/param-policy.js";
import { textDocument } from "./messages.js";

/** What POST /v1/messages does with each parameter; refused ones wait for the engine (images, thinking). */
export const MESSAGES_PARAMS: ParamPolicy = {
  unknownNote: "it is not a Messages API parameter this server knows, so it cannot be honoured",
  rules: [
    { param: "model", support: "supported", note: "an id from GET /v1/models, or sha256:<hex>" },
    { param: "max_tokens", support: "supported", note: "required; a ceiling (up to 50,000): a generation that fills the model's context first ends with stop_reason model_context_window_exceeded" },
    { param: "messages", support: "supported", note: "user and assistant turns; the last one from the user (possibly carrying only tool_result blocks) or an assistant prefill: the model continues its text and only the continuation is returned" },
    { param: "messages[].content", support: "partial", note: "text, plain-text document (source text or content, without citations), tool_use (assistant turns) and tool_result (user turns, text content) blocks; image, PDF and other document, and thinking blocks are refused: the served models read text only", refuses: (v) => Array.isArray(v) && v.some((m: unknown) => hasBlockOtherThan((m as { content?: unknown } | null)?.content, MESSAGE_BLOCKS)), locate: (v) => (Array.isArray(v) ? v.map((m: unknown, i) => blockOtherThan((m as { content?: unknown } | null)?.content, MESSAGE_BLOCKS, `messages[${i}].content`)).find((at) => at !== undefined) : undefined) },
    { param: "system", support: "partial", note: "a string or text blocks (other blocks are refused)", refuses: (v) => hasBlockOtherThan(v, TEXT_ONLY), locate: (v) => blockOtherThan(v, TEXT_ONLY, "system") },
    { param: "stop_sequences", support: "supported", note: "up to 64; stop_sequence names the one that matched" },
    { param: "stream", support: "supported", note: "message_start, content_block_start, ping, content_block_delta*, content_block_stop, message_delta, message_stop" },
    { param: "temperature", support: "supported", note: "0 to 1 (older clients; newer SDKs no longer send it); absent: 0, greedy and reproducible (Anthropic's default is 1): send it to sample" },
    { param: "top_p", support: "supported", note: "0 to 1" },
    { param: "top_k", support: "supported", note: "" },
    { param: "metadata", support: "supported", note: "metadata.user_id is recorded in the log and the audit trail; it does not open a session" },
    { param: "tools", support: "supported", note: "client tools (name, description, input_schema, strict; type custom, cache_control and eager_input_streaming accepted as hints; defer_loading true, allowed_callers other than direct, input_examples and any other key refused by name; names unique); the call's input is generated under a llama.cpp grammar from input_schema, which enforces its shape (types, properties, required, enums, lengths, closed integer ranges); value constraints a grammar cannot express (pattern, format other than date/time/date-time, number bounds, open integer bounds, uniqueItems) are not enforced, as Anthropic does not enforce a tool's schema, unless the tool has `strict: true` (then refused by name), untyped values are any JSON, and structure a grammar cannot express (allOf, not, external $ref) is refused by name; server tools are refused" },
    { param: "tool_choice", support: "supported", note: "auto, any, tool (by name) and none; disable_parallel_tool_use: at most one call" },
    { param: "thinking", support: "partial", note: "the served models do not think (only {type: \"disabled\"} is accepted)", refuses: (v) => present(v) && (v as { type?: unknown }).type !== "disabled" },
    { param: "service_tier", support: "partial", note: "one service tier (only \"auto\" and \"standard_only\" are accepted)", refuses: (v) => present(v) && v !== "auto" && v !== "standard_only" },
    { param: "container", support: "refused", note: "no code execution containers", refuses: present },
    { param: "mcp_servers", support: "partial", note: "no MCP connector (only [] is accepted)", refuses: nonEmptyArray },
    { param: "context_management", support: "refused", note: "no context management", refuses: present },
    { param: "cache_control", support: "supported", note: "accepted as a hint; prompt caching is per pool" },
    { param: "output_config", support: "partial", note: "format only: effort and task_budget are refused (the served models do not think)", refuses: (v) => hasKeyOtherThan(v, "format") },
    { param: "output_config.format", support: "supported", note: "{type: \"json_schema\", schema}: structured output, the text generated under a llama.cpp grammar so it parses and validates; schema keywords the grammar cannot express are refused by name (as response_format on /v1/chat/completions); not together with tools the model may call" },
    { param: "speed", support: "partial", note: "one speed (only \"standard\" is accepted)", refuses: (v) => present(v) && v !== "standard" },
    { param: "inference_geo", support: "refused", note: "inference runs on this cluster's nodes, wherever they are", refuses: present },
    { param: "diagnostics", support: "refused", note: "no diagnostics", refuses: present },
  ],
};

function hasKeyOtherThan(value: unknown, allowed: string): boolean {
  return value !== null && typeof value === "object" && Object.entries(value).some(([key, v]) => key !== allowed && v !== undefined && v !== null);
}

const TEXT_ONLY: ReadonlySet<unknown> = new Set(["text"]);
const MESSAGE_BLOCKS: ReadonlySet<unknown> = new Set(["text", "tool_use", "tool_result"]);

function refusedBlock(block: unknown, allowed: ReadonlySet<unknown>): boolean {
  return !allowed.has((block as { type?: unknown } | null)?.type) && !(allowed === MESSAGE_BLOCKS && textDocument(block) !== undefined);
}

function hasBlockOtherThan(content: unknown, allowed: ReadonlySet<unknown>): boolean {
  return Array.isArray(content) && content.some((block: unknown) => refusedBlock(block, allowed));
}

/** The first refused block of `content` as `<where>[j] (<type> block)`, for the refusal's message. */
function blockOtherThan(content: unknown, allowed: ReadonlySet<unknown>, where: string): string | undefined {
  if (!Array.isArray(content)) return undefined;
  const j = content.findIndex((block: unknown) => refusedBlock(block, allowed));
  if (j < 0) return undefined;
  const type = (content[j] as { type?: unknown } | null)?.type;
  return `${where}[${j}] (${typeof type === "string" ? `${JSON.stringify(type).slice(1, -1).slice(0, 64)} block` : "block without a type"})`;
}

const COUNTED = new Set(["model", "messages", "messages[].content", "system", "tools", "tool_choice", "thinking", "mcp_servers", "context_management", "output_config", "cache_control"]);

/** POST /v1/messages/count_tokens: the input parameters of a Messages request, refused as there. */
export const COUNT_TOKENS_PARAMS: ParamPolicy = {
  unknownNote: "it is not a count_tokens parameter this server knows, so it cannot be honoured",
  rules: [
    ...MESSAGES_PARAMS.rules.filter((r) => COUNTED.has(r.param)).map((r) => (r.param === "model" ? { ...r, note: `${r.note}; counted by a worker serving it, with the model's own tokenizer and chat template` } : r)),
  ],
};
