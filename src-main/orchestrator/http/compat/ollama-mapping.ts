import { OLLAMA_CHAT_PARAMS, OLLAMA_GENERATE_PARAMS, OLLAMA_OPTIONS } from "../../../../src-shared/ollama/ollama-params.js";
import type { OllamaChatMessage, OllamaChatRequest, OllamaGenerateRequest, OllamaOptions } from "../../../../src-shared/ollama/ollama-requests.js";
import type { ToolChoice, ToolDefinition } from "../../../../src-shared/tasks/tool-calling.js";
import type { ChatMessage } from "../../../../src-shared/worker-api/chat-message.js";
import { MAX_TOKENS_LIMIT } from "../../../../src-shared/worker-api/sampling.js";
import { resolveModel, type AliasTable, type ResolvedModel } from "../../catalog/model-resolver.js";
import type { AdmissionInput } from "../../tasks/admit-task.js";
import type { TaskGeneration } from "../../tasks/task.js";
import { grammarSchema } from "./openai-chat-features.js";
import { DEFAULT_MAX_TOKENS } from "./openai-mapping.js";
import { refuseUnsupported, requireAnswerableLastTurn, unsupported } from "./refuse.js";

/** Ollama names carry a tag; `<id>:latest` is the model /v1/models lists as `<id>` (an operator alias too). */
export function ollamaModelRef(name: string, models: readonly ResolvedModel[], aliases?: AliasTable): string {
  if (!name.endsWith(":latest")) return name;
  const bare = name.slice(0, -":latest".length);
  return resolveModel(name, models, aliases).ok ? name : bare;
}

/**
 * A chat or generate request with nothing to generate (Ollama's "load the model"; `ollama stop` sends one
 * with keep_alive 0): its parameters are checked like any other request's, so an unload is refused, not
 * answered as a load.
 */
export function checkOllamaLoadRequest(kind: "chat" | "generate", req: OllamaChatRequest | OllamaGenerateRequest): void {
  refuseUnsupported(kind === "chat" ? OLLAMA_CHAT_PARAMS : OLLAMA_GENERATE_PARAMS, req);
  if (req.options !== undefined) refuseUnsupported(OLLAMA_OPTIONS, req.options, "options.");
  logprobs(req); // top_logprobs without logprobs is refused here too
}

/** POST /api/chat → one chat task. */
export function ollamaChatAdmission(req: OllamaChatRequest, models: readonly ResolvedModel[], aliases?: AliasTable): AdmissionInput {
  refuseUnsupported(OLLAMA_CHAT_PARAMS, req);
  const messages = chatMessages(req.messages ?? []);
  // A conversation may also end with tool results: the model answers them.
  if (messages[messages.length - 1]?.role !== "tool") requireAnswerableLastTurn(messages);
  const choice = toolChoice(req);
  const tools = choice === "none" ? undefined : chatTools(req.tools);
  if (tools !== undefined && req.format !== undefined && req.format !== "") throw unsupported("format", "format cannot be combined with tools the model may call");
  const calling = tools === undefined ? {} : { tools, ...(choice !== undefined && choice !== "auto" ? { tool_choice: choice } : {}) };
  // A history longer than the context loses its oldest turns, as Ollama's chat prompt does (long
  // conversations in Open WebUI and other chat front ends go on instead of failing).
  return admission("ollama-chat", req.model, models, aliases, withTopLevelSampling(req), { messages, drop_old_turns: true, ...format(req.format), ...calling, ...logprobs(req) });
}

/**
 * tool_choice (ollama-ai-provider-v2's; Ollama has none): auto → the model decides, none → no tools,
 * required → some call, {type: "function", name} → that call. A choice that needs tools without them is refused.
 */
function toolChoice(req: OllamaChatRequest): ToolChoice | undefined {
  const choice = req.tool_choice;
  if (choice === undefined) return undefined;
  const names = (req.tools ?? []).map((t) => t.function.name);
  if (typeof choice === "string") {
    if (choice === "required" && names.length === 0) throw unsupported("tool_choice", "tool_choice required needs tools");
    return choice;
  }
  if (choice.type !== "function" || choice.name === undefined) throw unsupported("tool_choice", `tool_choice ${JSON.stringify(choice)} is not supported: send "auto", "none", "required" or {"type": "function", "name": <one of the tools>}`);
  if (!names.includes(choice.name)) throw unsupported("tool_choice", `tool_choice names ${choice.name}, which is not among the tools`);
  return { name: choice.name };
}

/** Ollama's tools → the task's (the model decides whether to call: Ollama has no tool_choice). */
function chatTools(tools: OllamaChatRequest["tools"]): ToolDefinition[] | undefined {
  if (tools === undefined || tools.length === 0) return undefined;
  return tools.map((tool, i): ToolDefinition => {
    const { name, description, parameters } = tool.function;
    return { name, ...(description !== undefined ? { description } : {}), ...(parameters !== undefined && Object.keys(parameters).length > 0 ? { parameters: grammarSchema(parameters, `tools[${i}].function.parameters`, "loose tool arguments") } : {}) };
  });
}

/**
 * Ollama turns → engine turns. Ollama's calls carry no id (newer servers send one): each gets the one it
 * has or `call_<turn>_<n>`; a tool turn answers the first unanswered call of the assistant turns before it
 * (the first with its tool_name, when it names one).
 */
function chatMessages(turns: readonly OllamaChatMessage[]): ChatMessage[] {
  const pending: { id: string; name: string }[] = [];
  return turns.map((m, i): ChatMessage => {
    if (m.role === "tool") {
      const at = pending.findIndex((c) => m.tool_name === undefined || c.name === m.tool_name);
      const call = at < 0 ? undefined : pending.splice(at, 1)[0];
      if (call === undefined) throw unsupported(`messages[${i}]`, `messages[${i}] is a tool turn, but no earlier assistant turn made a call${m.tool_name === undefined ? "" : ` to ${m.tool_name}`} that it could answer`);
      return { role: "tool", content: m.content, tool_call_id: call.id };
    }
    if (m.role === "assistant" && m.tool_calls !== undefined && m.tool_calls.length > 0) {
      const calls = m.tool_calls.map((c, j) => ({ id: c.id ?? `call_${i}_${j}`, name: c.function.name, arguments: JSON.stringify(c.function.arguments) }));
      pending.push(...calls.map(({ id, name }) => ({ id, name })));
      return { role: "assistant", content: m.content, tool_calls: calls };
    }
    return { role: m.role, content: m.content };
  });
}

/** Ollama's `format`: "json" or a schema, as the engine's output format. */
function format(value: OllamaChatRequest["format"]): Pick<TaskGeneration, "format"> {
  if (value === undefined || value === "") return {};
  return { format: value === "json" ? { type: "json" } : { type: "json_schema", schema: grammarSchema(value, "format") } };
}

/** logprobs and top_logprobs → the task's logprobs (alternatives per token), as OpenAI's chat pair maps. */
function logprobs(req: OllamaChatRequest | OllamaGenerateRequest): Pick<TaskGeneration, "logprobs"> {
  const top = req.top_logprobs;
  if (req.logprobs === true) return { logprobs: top ?? 0 };
  if (top !== undefined && top > 0) throw unsupported("top_logprobs", "top_logprobs needs logprobs: true");
  return {};
}

/** POST /api/generate → one task: the prompt as the user turn of the chat template, or as is with raw. */
export function ollamaGenerateAdmission(req: OllamaGenerateRequest, models: readonly ResolvedModel[], aliases?: AliasTable): AdmissionInput {
  refuseUnsupported(OLLAMA_GENERATE_PARAMS, req);
  const prompt = req.prompt ?? "";
  // Fill in the middle: the prompt and suffix around the gap, framed by the model's FIM tokens, not by a template.
  if (req.suffix !== undefined && req.suffix !== "") {
    if (req.system !== undefined && req.system !== "") throw unsupported("system", "system cannot be combined with suffix: a fill-in-the-middle prompt has no turns");
    return admission("ollama-generate", req.model, models, aliases, withTopLevelSampling(req), { prompt, suffix: req.suffix, ...format(req.format), ...logprobs(req) });
  }
  if (req.raw === true) return admission("ollama-generate", req.model, models, aliases, withTopLevelSampling(req), { prompt: req.system ? `${req.system}\n\n${prompt}` : prompt, ...format(req.format), ...logprobs(req) });
  const messages: ChatMessage[] = [...(req.system ? [{ role: "system" as const, content: req.system }] : []), { role: "user", content: prompt }];
  return admission("ollama-generate", req.model, models, aliases, withTopLevelSampling(req), { messages, ...format(req.format), ...logprobs(req) });
}

/**
 * The request's options with the top-level sampling fields some clients send (temperature, top_p,
 * max_output_tokens: the Vercel AI SDK's ollama-ai-provider-v2) folded in as the options they mean.
 */
function withTopLevelSampling(req: OllamaChatRequest | OllamaGenerateRequest): OllamaOptions | undefined {
  const aliases = [["temperature", "temperature", req.temperature], ["top_p", "top_p", req.top_p], ["max_output_tokens", "num_predict", req.max_output_tokens]] as const;
  let options = req.options;
  for (const [param, option, value] of aliases) {
    if (value === undefined) continue;
    const given = options?.[option];
    if (given !== undefined && given !== value) throw unsupported(param, `${param} ${value} and options.${option} ${given} disagree; send one of them`);
    options = { ...options, [option]: value };
  }
  return options;
}

function admission(api: "ollama-chat" | "ollama-generate", name: string, models: readonly ResolvedModel[], aliases: AliasTable | undefined, options: OllamaOptions | undefined, input: Pick<TaskGeneration, "prompt" | "suffix" | "messages" | "format" | "tools" | "tool_choice" | "logprobs" | "drop_old_turns">): AdmissionInput {
  if (options !== undefined) refuseUnsupported(OLLAMA_OPTIONS, options, "options.");
  const modelRef = ollamaModelRef(name, models, aliases);
  const resolved = resolveModel(modelRef, models, aliases);
  // Ollama's default (-1, -2 or absent) runs until the model stops or its context is full.
  const unbounded = Math.min(resolved.ok && resolved.model.context_length !== undefined ? resolved.model.context_length : DEFAULT_MAX_TOKENS, MAX_TOKENS_LIMIT);
  const predict = options?.num_predict;
  // Ollama never refuses a num_predict the context cannot hold (it shifts the context and goes on):
  // here generation ends when the context is full (done_reason length), whatever the limit.
  const generation: TaskGeneration = { ...input, max_tokens: predict !== undefined && predict > 0 ? Math.min(predict, MAX_TOKENS_LIMIT) : unbounded, fill_context: true };
  if (options?.temperature !== undefined) generation.temperature = options.temperature;
  if (options?.top_k !== undefined) generation.top_k = options.top_k;
  if (options?.top_p !== undefined) generation.top_p = options.top_p;
  if (options?.min_p !== undefined) generation.min_p = options.min_p;
  if (options?.repeat_penalty !== undefined) generation.repeat_penalty = options.repeat_penalty;
  if (options?.repeat_last_n !== undefined) generation.repeat_last_n = options.repeat_last_n;
  if (options?.presence_penalty !== undefined) generation.presence_penalty = options.presence_penalty;
  if (options?.frequency_penalty !== undefined) generation.frequency_penalty = options.frequency_penalty;
  if (options?.seed !== undefined && options.seed >= 0) generation.seed = options.seed;
  if (options?.stop !== undefined && options.stop.length > 0) generation.stop = options.stop;
  // Ollama clamps num_ctx to the model's trained context (a warning in its log, never an error): clients
  // set one num_ctx for every model (Open WebUI's, Continue's contextLength), so a larger one is the model's.
  const trained = resolved.ok ? resolved.model.context_length : undefined;
  const ctx = options?.num_ctx !== undefined && trained !== undefined ? Math.min(options.num_ctx, trained) : options?.num_ctx;
  return { api, model_ref: modelRef, priority: "interactive", ctx, generation };
}
