import { OLLAMA_CHAT_PARAMS, OLLAMA_GENERATE_PARAMS, OLLAMA_OPTIONS } from "../../../../src-shared/ollama/ollama-params.js";
import type { OllamaChatRequest, OllamaGenerateRequest, OllamaOptions } from "../../../../src-shared/ollama/ollama-requests.js";
import type { ChatMessage } from "../../../../src-shared/worker-api/chat-message.js";
import { MAX_TOKENS_LIMIT } from "../../../../src-shared/worker-api/sampling.js";
import { resolveModel, type ResolvedModel } from "../../catalog/model-resolver.js";
import type { AdmissionInput } from "../../tasks/admit-task.js";
import type { TaskGeneration } from "../../tasks/task.js";
import { grammarSchema } from "./openai-chat-features.js";
import { DEFAULT_MAX_TOKENS } from "./openai-mapping.js";
import { refuseUnsupported, requireUserTurnLast } from "./refuse.js";

/** Ollama names carry a tag; `<id>:latest` is the model /v1/models lists as `<id>`. */
export function ollamaModelRef(name: string, models: readonly ResolvedModel[]): string {
  if (!name.endsWith(":latest")) return name;
  const bare = name.slice(0, -":latest".length);
  return resolveModel(name, models).ok ? name : bare;
}

/** POST /api/chat → one chat task. */
export function ollamaChatAdmission(req: OllamaChatRequest, models: readonly ResolvedModel[]): AdmissionInput {
  refuseUnsupported(OLLAMA_CHAT_PARAMS, req);
  const messages: ChatMessage[] = (req.messages ?? []).map((m) => ({ role: m.role as ChatMessage["role"], content: m.content }));
  requireUserTurnLast(messages);
  return admission("ollama-chat", req.model, models, req.options, { messages, ...format(req.format) });
}

/** Ollama's `format`: "json" or a schema, as the engine's output format. */
function format(value: OllamaChatRequest["format"]): Pick<TaskGeneration, "format"> {
  if (value === undefined || value === "") return {};
  return { format: value === "json" ? { type: "json" } : { type: "json_schema", schema: grammarSchema(value, "format") } };
}

/** POST /api/generate → one task: the prompt as the user turn of the chat template, or as is with raw. */
export function ollamaGenerateAdmission(req: OllamaGenerateRequest, models: readonly ResolvedModel[]): AdmissionInput {
  refuseUnsupported(OLLAMA_GENERATE_PARAMS, req);
  const prompt = req.prompt ?? "";
  if (req.raw === true) return admission("ollama-generate", req.model, models, req.options, { prompt: req.system ? `${req.system}\n\n${prompt}` : prompt, ...format(req.format) });
  const messages: ChatMessage[] = [...(req.system ? [{ role: "system" as const, content: req.system }] : []), { role: "user", content: prompt }];
  return admission("ollama-generate", req.model, models, req.options, { messages, ...format(req.format) });
}

function admission(api: "ollama-chat" | "ollama-generate", name: string, models: readonly ResolvedModel[], options: OllamaOptions | undefined, input: Pick<TaskGeneration, "prompt" | "messages" | "format">): AdmissionInput {
  if (options !== undefined) refuseUnsupported(OLLAMA_OPTIONS, options, "options.");
  const modelRef = ollamaModelRef(name, models);
  const resolved = resolveModel(modelRef, models);
  // Ollama's default (-1, -2 or absent) runs until the model stops or its context is full.
  const unbounded = Math.min(resolved.ok && resolved.model.context_length !== undefined ? resolved.model.context_length : DEFAULT_MAX_TOKENS, MAX_TOKENS_LIMIT);
  const generation: TaskGeneration = { ...input, max_tokens: options?.num_predict !== undefined && options.num_predict > 0 ? options.num_predict : unbounded };
  if (options?.temperature !== undefined) generation.temperature = options.temperature;
  if (options?.top_k !== undefined) generation.top_k = options.top_k;
  if (options?.top_p !== undefined) generation.top_p = options.top_p;
  if (options?.seed !== undefined && options.seed >= 0) generation.seed = options.seed;
  if (options?.stop !== undefined && options.stop.length > 0) generation.stop = options.stop;
  return { api, model_ref: modelRef, priority: "interactive", ctx: options?.num_ctx, generation };
}
