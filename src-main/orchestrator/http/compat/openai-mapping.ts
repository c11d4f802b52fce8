import type { ChatCompletionRequest } from "../../../../src-shared/openai/chat-completions.js";
import type { CompletionRequest } from "../../../../src-shared/openai/completions.js";
import { CHAT_COMPLETION_PARAMS, COMPLETION_PARAMS } from "../../../../src-shared/openai/openai-params.js";
import type { AdmissionInput } from "../../tasks/admit-task.js";
import type { TaskGeneration } from "../../tasks/task.js";
import { chatFeatures, chatMessages } from "./openai-chat-features.js";
import { refuseUnsupported, requireAnswerableLastTurn, unsupported } from "./refuse.js";

/** Output limit when the client names none (OpenAI's own default is the model's whole context). */
export const DEFAULT_MAX_TOKENS = 256;

type Sampling = Pick<
  ChatCompletionRequest,
  "max_tokens" | "temperature" | "top_p" | "top_k" | "min_p" | "repeat_penalty" | "repeat_last_n" | "frequency_penalty" | "presence_penalty" | "logit_bias" | "seed" | "stop"
>;

/** POST /v1/chat/completions → one chat task. */
export function chatAdmission(req: ChatCompletionRequest): AdmissionInput {
  refuseUnsupported(CHAT_COMPLETION_PARAMS, req);
  refuseStreamOptionsWithoutStream(req);
  const messages = chatMessages(req.messages);
  // A conversation may also end with tool results: the model answers them.
  if (messages[messages.length - 1]?.role !== "tool") requireAnswerableLastTurn(messages, "messages", "answered");
  return { api: "openai-chat", model_ref: req.model, priority: "interactive", generation: { messages, ...sampling(req, req.max_completion_tokens ?? undefined), ...chatFeatures(req) } };
}

/** POST /v1/completions → one prompt task (a one-element prompt array is the same as its string). */
export function completionAdmission(req: CompletionRequest): AdmissionInput {
  refuseUnsupported(COMPLETION_PARAMS, req);
  refuseStreamOptionsWithoutStream(req);
  const prompt = typeof req.prompt === "string" ? req.prompt : String(req.prompt[0]);
  const logprobs = req.logprobs ?? undefined;
  const suffix = req.suffix !== null && req.suffix !== undefined && req.suffix !== "" ? { suffix: req.suffix } : {};
  return { api: "openai-completion", model_ref: req.model, priority: "interactive", generation: { prompt, ...suffix, ...sampling(req, undefined), ...(logprobs !== undefined ? { logprobs } : {}) } };
}

/**
 * stream_options on a request that does not stream would be ignored (include_usage asks for a final
 * chunk there is none of); OpenAI refuses it the same way, so a client learns it is not streaming.
 */
function refuseStreamOptionsWithoutStream(req: Pick<ChatCompletionRequest, "stream" | "stream_options">): void {
  if (req.stream_options !== null && req.stream_options !== undefined && req.stream !== true) {
    throw unsupported("stream_options", "stream_options is only allowed when stream is true");
  }
}

function sampling(req: Sampling, maxCompletionTokens: number | undefined): Omit<TaskGeneration, "prompt" | "messages"> {
  const chosen = maxCompletionTokens ?? req.max_tokens ?? undefined;
  // Without a limit OpenAI generates up to the context's end: the default is a ceiling that a long prompt shortens, not a refusal.
  const out: Omit<TaskGeneration, "prompt" | "messages"> = chosen !== undefined ? { max_tokens: chosen } : { max_tokens: DEFAULT_MAX_TOKENS, fill_context: true };
  if (req.temperature !== null && req.temperature !== undefined) out.temperature = req.temperature;
  if (req.top_p !== null && req.top_p !== undefined) out.top_p = req.top_p;
  if (req.top_k !== null && req.top_k !== undefined) out.top_k = req.top_k;
  if (req.min_p !== null && req.min_p !== undefined) out.min_p = req.min_p;
  if (req.repeat_penalty !== null && req.repeat_penalty !== undefined) out.repeat_penalty = req.repeat_penalty;
  if (req.repeat_last_n !== null && req.repeat_last_n !== undefined) out.repeat_last_n = req.repeat_last_n;
  if (req.frequency_penalty !== null && req.frequency_penalty !== undefined) out.frequency_penalty = req.frequency_penalty;
  if (req.presence_penalty !== null && req.presence_penalty !== undefined) out.presence_penalty = req.presence_penalty;
  // {} (what clients send for "no bias") is the same as none.
  if (req.logit_bias !== null && req.logit_bias !== undefined && Object.keys(req.logit_bias).length > 0) out.logit_bias = req.logit_bias;
  // OpenAI seeds may be negative; the engines take an unsigned seed, and a negative one means "random".
  if (req.seed !== null && req.seed !== undefined && req.seed >= 0) out.seed = req.seed;
  if (req.stop !== null && req.stop !== undefined) out.stop = typeof req.stop === "string" ? [req.stop] : req.stop;
  return out;
}
