import type { ChatHistoryItem, ChatModelFunctionCall, ChatModelFunctions, ChatWrapper, GbnfJsonSchema } from "node-llama-cpp";
import { toToolGrammarSchema } from "../../src-shared/tasks/grammar-schema.js";
import type { EngineInferMessage } from "./engine-ipc.js";
import { forceFunctionCall } from "./forced-tool-call.js";

// A chat request as node-llama-cpp runs it: the history (tool calls and their results inside the
// model turns, as chat wrappers render them), ending with the model turn to generate or continue,
// the functions offered, and the wrapper (forced into a call for tool_choice required / named).

export interface ChatPlan {
  history: ChatHistoryItem[];
  functions?: ChatModelFunctions;
  wrapper: ChatWrapper;
}

export type ChatPlanResult = { ok: true; plan: ChatPlan } | { ok: false; message: string };

/** JSON text as a value; text that is not JSON stays a string (tool results are often plain text). */
function jsonOrText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * The messages as chat history ending with the model turn to generate: a new one after a user turn,
 * tool results or system turns alone, or the last assistant turn itself when it has no tool calls (a prefill, as Anthropic's
 * API, Ollama and llama-server read it: the model continues that text and only the continuation is
 * returned). A message when the conversation cannot be answered.
 */
export function chatHistory(messages: NonNullable<EngineInferMessage["messages"]>): ChatHistoryItem[] | string {
  const history: ChatHistoryItem[] = [];
  const calls = new Map<string, ChatModelFunctionCall>();
  for (const m of messages) {
    if (m.role === "system") history.push({ type: "system", text: m.content });
    else if (m.role === "user") history.push({ type: "user", text: m.content });
    else if (m.role === "assistant") {
      const response: (string | ChatModelFunctionCall)[] = m.content === "" ? [] : [m.content];
      for (const call of m.tool_calls ?? []) {
        const item: ChatModelFunctionCall = { type: "functionCall", name: call.name, params: jsonOrText(call.arguments), result: undefined };
        calls.set(call.id, item);
        response.push(item);
      }
      history.push({ type: "model", response });
    } else {
      const call = m.tool_call_id === undefined ? undefined : calls.get(m.tool_call_id);
      if (call === undefined) return `a tool turn answers no earlier tool call (tool_call_id ${m.tool_call_id ?? "missing"})`;
      call.result = jsonOrText(m.content);
    }
  }
  const last = messages[messages.length - 1];
  // Instructions alone (OpenAI's and llama-server's chat answer a conversation of system turns only): the model speaks first.
  if (messages.length > 0 && messages.every((m) => m.role === "system")) {
    history.push({ type: "model", response: [] });
    return history;
  }
  if (!messages.some((m) => m.role === "user")) return "the chat has no user turn";
  if (last?.role === "user") history.push({ type: "model", response: [] });
  else if (last?.role === "assistant" && (last.tool_calls ?? []).length > 0) return "the last chat message calls tools: send their results (tool turns) to get an answer";
  else if (last?.role !== "tool" && last?.role !== "assistant") return "the last chat message must come from the user, be a tool result, or be an assistant prefill to continue";
  return history;
}

/** Functions node-llama-cpp offers the model, from the task's tools (parameters in the grammar subset). */
function functionsOf(tools: NonNullable<EngineInferMessage["tools"]>): ChatModelFunctions | string {
  const functions: Record<string, { description?: string; params?: GbnfJsonSchema }> = {};
  for (const [i, tool] of tools.entries()) {
    let params: GbnfJsonSchema | undefined;
    if (tool.parameters !== undefined) {
      // Loose: the orchestrator already refused what a strict tool's schema asks beyond a grammar; here only expressibility counts.
      const translated = toToolGrammarSchema(tool.parameters, `tools[${i}].parameters`, "loose");
      if (!translated.ok) return `${translated.path} uses ${translated.feature}, which a grammar cannot express`;
      params = translated.schema as GbnfJsonSchema;
    }
    functions[tool.name] = { ...(tool.description !== undefined ? { description: tool.description } : {}), ...(params !== undefined ? { params } : {}) };
  }
  return functions;
}

/** The plan for a chat infer; `wrapper` is the model's chat wrapper. */
export function planChat(wrapper: ChatWrapper, msg: Pick<EngineInferMessage, "messages" | "tools" | "tool_choice">): ChatPlanResult {
  const history = chatHistory(msg.messages ?? []);
  if (typeof history === "string") return { ok: false, message: history };
  const choice = msg.tool_choice ?? "auto";
  if (msg.tools === undefined || choice === "none") {
    if (typeof choice === "object" || choice === "required") return { ok: false, message: "tool_choice asks for a call but no tools were given" };
    return { ok: true, plan: { history, wrapper } };
  }
  const functions = functionsOf(msg.tools);
  if (typeof functions === "string") return { ok: false, message: functions };
  if (choice === "auto") return { ok: true, plan: { history, functions, wrapper } };
  if (choice === "required") return { ok: true, plan: { history, functions, wrapper: forceFunctionCall(wrapper) } };
  const named = functions[choice.name];
  if (named === undefined) return { ok: false, message: `tool_choice names ${choice.name}, which is not among the tools` };
  // Offering only the named function makes the name grammar pick it.
  return { ok: true, plan: { history, functions: { [choice.name]: named }, wrapper: forceFunctionCall(wrapper) } };
}
