import type { ChatCompletionRequest, OpenAiChatMessage } from "../../../../src-shared/openai/chat-completions.js";
import { chatMessageText } from "../../../../src-shared/openai/chat-completions.js";
import { toGrammarSchema, toToolGrammarSchema } from "../../../../src-shared/tasks/grammar-schema.js";
import type { Generation } from "../../../../src-shared/tasks/generation.js";
import type { ToolChoice, ToolDefinition } from "../../../../src-shared/tasks/tool-calling.js";
import type { ChatMessage } from "../../../../src-shared/worker-api/chat-message.js";
import { unsupported } from "./refuse.js";

// The chat features the engine honours through grammars — tools, structured output — and logprobs,
// mapped from OpenAI's request shapes onto the Generation. A schema the grammar cannot express is a
// 400 naming the keyword and where it is.

type Features = Pick<Generation, "format" | "tools" | "tool_choice" | "parallel_tool_calls" | "logprobs">;

/**
 * A JSON schema in the grammar subset, or a 400 naming what it uses that a grammar cannot express.
 * "loose tool arguments": a tool not marked strict, whose value constraints a grammar cannot express
 * are left unenforced rather than refused (grammar-schema.ts, ToolSchemaMode).
 */
export function grammarSchema(schema: Record<string, unknown>, param: string, use: "output" | "tool arguments" | "loose tool arguments" = "output"): Record<string, unknown> {
  const translated = use === "output" ? toGrammarSchema(schema, param) : toToolGrammarSchema(schema, param, use === "loose tool arguments" ? "loose" : "strict");
  if (!translated.ok) throw unsupported(param, `${translated.path} uses ${translated.feature}, which the llama.cpp grammar that constrains the output cannot express`);
  return translated.schema as Record<string, unknown>;
}

/** OpenAI turns → engine turns: tool calls on assistant turns, tool results answering them by id. */
export function chatMessages(messages: readonly OpenAiChatMessage[]): ChatMessage[] {
  const callIds = new Set<string>();
  return messages.map((m, i): ChatMessage => {
    const content = chatMessageText(m);
    if (m.role === "tool") {
      if (m.tool_call_id === undefined || !callIds.has(m.tool_call_id)) throw unsupported(`messages[${i}].tool_call_id`, `messages[${i}].tool_call_id must name a tool call of an earlier assistant turn`);
      return { role: "tool", content, tool_call_id: m.tool_call_id };
    }
    if (m.role === "assistant" && m.tool_calls !== undefined && m.tool_calls.length > 0) {
      for (const call of m.tool_calls) callIds.add(call.id);
      return { role: "assistant", content, tool_calls: m.tool_calls.map((c) => ({ id: c.id, name: c.function.name, arguments: c.function.arguments })) };
    }
    return { role: m.role === "developer" ? "system" : (m.role as "system" | "user" | "assistant"), content };
  });
}

function tools(req: ChatCompletionRequest): ToolDefinition[] | undefined {
  if (req.tools === undefined || req.tools === null || req.tools.length === 0) return undefined;
  return req.tools.map((tool, i) => {
    const { name, description, parameters, strict } = tool.function;
    // Chat Completions enforces a tool's schema only when it is marked strict.
    return { name, ...(description !== undefined ? { description } : {}), ...(parameters !== undefined && Object.keys(parameters).length > 0 ? { parameters: grammarSchema(parameters, `tools[${i}].function.parameters`, strict === true ? "tool arguments" : "loose tool arguments") } : {}) };
  });
}

function toolChoice(req: ChatCompletionRequest, defined: readonly ToolDefinition[] | undefined): ToolChoice | undefined {
  const choice = req.tool_choice ?? undefined;
  if (choice === undefined) return undefined;
  if (typeof choice === "string") {
    if (choice === "required" && defined === undefined) throw unsupported("tool_choice", "tool_choice required needs tools");
    return choice;
  }
  // Any other type was refused by name before (CHAT_COMPLETION_PARAMS); the schema gives a function choice its name.
  const name = (choice as { function?: { name?: unknown } }).function?.name;
  if (choice.type !== "function" || typeof name !== "string") throw unsupported("tool_choice", `tool_choice ${choice.type} is not supported`);
  if (defined?.some((t) => t.name === name) !== true) throw unsupported("tool_choice", `tool_choice names ${name}, which is not among the tools`);
  return { name };
}

/** tools, tool_choice, parallel_tool_calls, response_format, logprobs and top_logprobs of a chat request. */
export function chatFeatures(req: ChatCompletionRequest): Features {
  const out: Features = {};
  const defined = tools(req);
  const choice = toolChoice(req, defined);
  if (defined !== undefined && choice !== "none") out.tools = defined;
  if (choice !== undefined && out.tools !== undefined) out.tool_choice = choice;
  if (req.parallel_tool_calls !== undefined && req.parallel_tool_calls !== null && out.tools !== undefined) out.parallel_tool_calls = req.parallel_tool_calls;
  const format = req.response_format ?? undefined;
  if (format !== undefined && format.type !== "text") {
    if (out.tools !== undefined) throw unsupported("response_format", "response_format cannot be combined with tools the model may call (send tool_choice \"none\", or no tools)");
    if (format.type === "json_object") out.format = { type: "json" };
    else out.format = format.json_schema.schema === undefined ? { type: "json" } : { type: "json_schema", schema: grammarSchema(format.json_schema.schema, "response_format.json_schema.schema") };
  }
  const top = req.top_logprobs ?? undefined;
  if (req.logprobs === true) out.logprobs = top ?? 0;
  else if (top !== undefined && top > 0) throw unsupported("top_logprobs", "top_logprobs needs logprobs: true");
  return out;
}
