import { AnthropicToolResultBlockSchema, AnthropicToolUseBlockSchema, anthropicText, textDocument, type AnthropicCountTokensRequest, type AnthropicMessageParam, type AnthropicMessagesRequest } from "../../../../src-shared/anthropic/messages.js";
import { COUNT_TOKENS_PARAMS, MESSAGES_PARAMS } from "../../../../src-shared/anthropic/messages-params.js";
import type { Generation } from "../../../../src-shared/tasks/generation.js";
import type { ToolCall, ToolChoice, ToolDefinition } from "../../../../src-shared/tasks/tool-calling.js";
import type { ChatMessage } from "../../../../src-shared/worker-api/chat-message.js";
import { MAX_TOKENS_LIMIT } from "../../../../src-shared/worker-api/sampling.js";
import type { AdmissionInput } from "../../tasks/admit-task.js";
import { grammarSchema } from "./openai-chat-features.js";
import { refuseUnsupported, requireAnswerableLastTurn, unsupported } from "./refuse.js";

/** POST /v1/messages → one chat task: `system` becomes the system turn, stop_sequences the stop strings, tools the task's tools. */
export function messagesAdmission(req: AnthropicMessagesRequest): AdmissionInput {
  refuseUnsupported(MESSAGES_PARAMS, req);
  const messages: ChatMessage[] = [];
  const system = req.system === undefined ? "" : anthropicText(req.system);
  if (system !== "") messages.push({ role: "system", content: system });
  const callIds = new Set<string>();
  req.messages.forEach((m, i) => messages.push(...turns(m, i, callIds)));
  // A conversation may also end with tool results: the model answers them.
  if (messages[messages.length - 1]?.role !== "tool") requireAnswerableLastTurn(messages);
  return {
    api: "anthropic-messages",
    model_ref: req.model,
    priority: "interactive",
    generation: {
      messages,
      // Anthropic clients must send max_tokens and send large ones (8,192; Claude Code 32,000): a ceiling.
      // Generation ends at the context's end (stop_reason model_context_window_exceeded) or at the limit.
      max_tokens: Math.min(req.max_tokens, MAX_TOKENS_LIMIT),
      fill_context: true,
      ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
      ...(req.top_p !== undefined ? { top_p: req.top_p } : {}),
      ...(req.top_k !== undefined ? { top_k: req.top_k } : {}),
      ...(req.stop_sequences !== undefined && req.stop_sequences.length > 0 ? { stop: req.stop_sequences } : {}),
      ...outputFields(req),
    },
  };
}

/**
 * POST /v1/messages/count_tokens → a count-only task: the conversation and tools mapped exactly as a
 * Messages request maps them, so the count is what that request's prompt would be.
 */
export function countTokensAdmission(req: AnthropicCountTokensRequest): AdmissionInput {
  refuseUnsupported(COUNT_TOKENS_PARAMS, req);
  const input = messagesAdmission({ ...req, max_tokens: 1 });
  // output_config.format is checked as the Messages request would check it; it constrains output, not the prompt.
  const { format: _format, ...generation } = input.generation;
  return { ...input, api: "anthropic-count-tokens", generation: { ...generation, count_only: true } };
}

/**
 * One Anthropic turn → engine turns. An assistant turn's tool_use blocks become its tool calls (input as
 * JSON text); a user turn's tool_result blocks become tool turns, one per result, before its text.
 */
function turns(m: AnthropicMessageParam, i: number, callIds: Set<string>): ChatMessage[] {
  const text = anthropicText(m.content);
  if (typeof m.content === "string") return [{ role: m.role, content: text }];
  const calls: ToolCall[] = [];
  const results: ChatMessage[] = [];
  m.content.forEach((block, j) => {
    const where = `messages[${i}].content[${j}]`;
    if (block.type === "tool_use") {
      if (m.role !== "assistant") throw unsupported(`${where}`, `${where}: tool_use blocks belong to assistant turns`);
      // The request schema checked the block's shape (blockOf in messages.ts); parsed again for its type.
      const { id, name, input } = AnthropicToolUseBlockSchema.parse(block);
      callIds.add(id);
      calls.push({ id, name, arguments: JSON.stringify(input) });
    } else if (block.type === "tool_result") {
      if (m.role !== "user") throw unsupported(`${where}`, `${where}: tool_result blocks belong to user turns`);
      const { tool_use_id: id, content, is_error: isError } = AnthropicToolResultBlockSchema.parse(block);
      if (!callIds.has(id)) throw unsupported(`${where}.tool_use_id`, `${where}.tool_use_id must name a tool_use block of an earlier assistant turn`);
      if (Array.isArray(content) && content.some((b) => b.type !== "text" && textDocument(b) === undefined)) throw unsupported(`${where}.content`, `${where}.content: only text blocks and plain-text documents are supported in a tool result (the served models read text only)`);
      const resultText = content === undefined ? "" : anthropicText(content);
      results.push({ role: "tool", content: isError === true ? `Error: ${resultText}` : resultText, tool_call_id: id });
    }
  });
  if (calls.length > 0) return [{ role: "assistant", content: text, tool_calls: calls }];
  if (results.length > 0) return text === "" ? results : [...results, { role: "user", content: text }];
  return [{ role: m.role, content: text }];
}

type ToolFields = Pick<Generation, "tools" | "tool_choice" | "parallel_tool_calls">;
type OutputFields = ToolFields & Pick<Generation, "format">;

/** Tools, and output_config.format (structured output) as the engine's output format: one or the other. */
function outputFields(req: AnthropicMessagesRequest): OutputFields {
  const out: OutputFields = toolFields(req);
  const format = req.output_config?.format ?? undefined;
  if (format === undefined) return out;
  if (out.tools !== undefined) throw unsupported("output_config.format", "output_config.format cannot be combined with tools the model may call (send tool_choice {type: \"none\"}, or no tools)");
  return { ...out, format: { type: "json_schema", schema: grammarSchema(format.schema, "output_config.format.schema") } };
}

/** tools and tool_choice: auto → auto, any → required, tool → that name, none → no tools. */
function toolFields(req: AnthropicMessagesRequest): ToolFields {
  const choice = req.tool_choice;
  if (req.tools === undefined || req.tools.length === 0) {
    if (choice !== undefined && choice.type !== "auto" && choice.type !== "none") throw unsupported("tool_choice", `tool_choice ${choice.type} needs tools`);
    return {};
  }
  if (choice?.type === "none") return {};
  const tools = req.tools.map((tool, i): ToolDefinition => {
    // Anthropic enforces a tool's input_schema only for a tool marked strict.
    const parameters = grammarSchema(tool.input_schema, `tools[${i}].input_schema`, tool.strict === true ? "tool arguments" : "loose tool arguments");
    return { name: tool.name, ...(tool.description !== undefined ? { description: tool.description } : {}), parameters };
  });
  const out: ToolFields = { tools };
  if (choice === undefined) return out;
  if (choice.type === "tool" && !tools.some((t) => t.name === choice.name)) throw unsupported("tool_choice", `tool_choice names ${choice.name}, which is not among the tools`);
  const mapped: ToolChoice = choice.type === "tool" ? { name: choice.name } : choice.type === "any" ? "required" : "auto";
  out.tool_choice = mapped;
  if (choice.disable_parallel_tool_use === true) out.parallel_tool_calls = false;
  return out;
}
