import { RESPONSES_PARAMS } from "../../../../src-shared/openai/responses-params.js";
import { includesLogprobs, ResponsesFunctionCallItemSchema, ResponsesFunctionCallOutputItemSchema, responsesText, type ResponsesFunctionCallItem, type ResponsesFunctionCallOutputItem, type ResponsesFunctionTool, type ResponsesInputMessage, type ResponsesRequest } from "../../../../src-shared/openai/responses.js";
import type { Generation } from "../../../../src-shared/tasks/generation.js";
import type { ToolChoice, ToolDefinition } from "../../../../src-shared/tasks/tool-calling.js";
import type { ChatMessage } from "../../../../src-shared/worker-api/chat-message.js";
import type { AdmissionInput } from "../../tasks/admit-task.js";
import { grammarSchema } from "./openai-chat-features.js";
import { DEFAULT_MAX_TOKENS } from "./openai-mapping.js";
import { refuseUnsupported, requireAnswerableLastTurn, unsupported } from "./refuse.js";

type InputItem = ResponsesInputMessage | ResponsesFunctionCallItem | ResponsesFunctionCallOutputItem;

/**
 * POST /v1/responses → one chat task: instructions become the system turn, input the conversation
 * (function_call items the assistant's tool calls, function_call_output items the tool turns), tools
 * and text.format the task's grammar constraints, as on chat completions.
 */
export function responsesAdmission(req: ResponsesRequest): AdmissionInput {
  refuseUnsupported(RESPONSES_PARAMS, req);
  const messages: ChatMessage[] = [];
  if (req.instructions !== null && req.instructions !== undefined && req.instructions !== "") messages.push({ role: "system", content: req.instructions });
  if (typeof req.input === "string") messages.push({ role: "user", content: req.input });
  else if (req.input !== null && req.input !== undefined) messages.push(...conversation(req.input as InputItem[]));
  if (messages.length === 0) throw unsupported("input", "input is required unless instructions are given (a string or a list of messages)");
  // A conversation may also end with function_call_output items: the model answers them.
  if (messages[messages.length - 1]?.role !== "tool") requireAnswerableLastTurn(messages, "input", "answered");
  return {
    api: "openai-responses",
    model_ref: req.model,
    priority: "interactive",
    generation: {
      messages,
      // Without max_output_tokens the default is a ceiling a long input shortens (openai-mapping.ts).
      ...(req.max_output_tokens !== null && req.max_output_tokens !== undefined ? { max_tokens: req.max_output_tokens } : { max_tokens: DEFAULT_MAX_TOKENS, fill_context: true }),
      ...(req.temperature !== null && req.temperature !== undefined ? { temperature: req.temperature } : {}),
      ...(req.top_p !== null && req.top_p !== undefined ? { top_p: req.top_p } : {}),
      ...features(req),
    },
  };
}

/** Input items → engine turns; consecutive function_call items (and the assistant text before them) form one assistant turn. */
function conversation(items: readonly InputItem[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  const callIds = new Set<string>();
  items.forEach((item, i) => {
    if (item.type === "function_call" || item.type === "function_call_output") requireItemShape(item, i);
    if (item.type === "function_call") {
      const call = { id: item.call_id, name: item.name, arguments: item.arguments };
      callIds.add(item.call_id);
      const last = out[out.length - 1];
      if (last?.role === "assistant") last.tool_calls = [...(last.tool_calls ?? []), call];
      else out.push({ role: "assistant", content: "", tool_calls: [call] });
    } else if (item.type === "function_call_output") {
      if (!callIds.has(item.call_id)) throw unsupported(`input[${i}].call_id`, `input[${i}].call_id must name the call_id of an earlier function_call item`);
      out.push({ role: "tool", content: responsesText(item.output), tool_call_id: item.call_id });
    } else {
      out.push({ role: item.role === "developer" ? "system" : item.role, content: responsesText(item.content) });
    }
  });
  return out;
}

/** An item that names itself function_call(_output) but lacks its fields fell through to the catch-all schema: say what it needs. */
function requireItemShape(item: InputItem, i: number): void {
  const ok = item.type === "function_call" ? ResponsesFunctionCallItemSchema.safeParse(item).success : ResponsesFunctionCallOutputItemSchema.safeParse(item).success;
  const needs = item.type === "function_call" ? "call_id, name and arguments (a JSON string)" : "call_id and output";
  if (!ok) throw unsupported(`input[${i}]`, `input[${i}]: a ${item.type} item needs ${needs}`);
}

type Features = Pick<Generation, "format" | "tools" | "tool_choice" | "parallel_tool_calls" | "logprobs">;

/** tools, tool_choice, parallel_tool_calls, text.format and the logprobs `include` asks for, mapped as chat maps its equivalents. */
function features(req: ResponsesRequest): Features {
  const out: Features = {};
  const defined = (req.tools ?? []).map((tool, i) => toolDefinition(tool as ResponsesFunctionTool, i));
  const choice = toolChoice(req, defined);
  if (defined.length > 0 && choice !== "none") out.tools = defined;
  if (choice !== undefined && out.tools !== undefined) out.tool_choice = choice;
  if (req.parallel_tool_calls !== null && req.parallel_tool_calls !== undefined && out.tools !== undefined) out.parallel_tool_calls = req.parallel_tool_calls;
  const format = req.text?.format ?? undefined;
  if (format !== undefined && format.type !== "text") {
    if (out.tools !== undefined) throw unsupported("text.format", "text.format cannot be combined with tools the model may call (send tool_choice \"none\", or no tools)");
    out.format = format.type === "json_object" ? { type: "json" } : { type: "json_schema", schema: grammarSchema(format.schema, "text.format.schema") };
  }
  // top_logprobs alone only sets the count, as on OpenAI: the engine computes logprobs when include asks for them.
  if (includesLogprobs(req)) out.logprobs = req.top_logprobs ?? 0;
  return out;
}

function toolDefinition(tool: ResponsesFunctionTool, i: number): ToolDefinition {
  const { name, description, parameters, strict } = tool;
  return {
    name,
    ...(description !== undefined && description !== null ? { description } : {}),
    // The Responses API's function tools are strict unless `strict: false`.
    ...(parameters !== undefined && parameters !== null && Object.keys(parameters).length > 0 ? { parameters: grammarSchema(parameters, `tools[${i}].parameters`, strict === false ? "loose tool arguments" : "tool arguments") } : {}),
  };
}

function toolChoice(req: ResponsesRequest, defined: readonly ToolDefinition[]): ToolChoice | undefined {
  const choice = req.tool_choice;
  if (choice === undefined || choice === null) return undefined;
  if (typeof choice === "string") {
    if (choice === "required" && defined.length === 0) throw unsupported("tool_choice", "tool_choice required needs tools");
    return choice;
  }
  const name = (choice as { name?: unknown }).name;
  if (typeof name !== "string" || !defined.some((t) => t.name === name)) throw unsupported("tool_choice", `tool_choice names ${String(name)}, which is not among the tools`);
  return { name };
}
