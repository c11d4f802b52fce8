import type { ChatHistoryItem, ChatWrapper, LlamaModel } from "node-llama-cpp";
import type { EngineInferMessage } from "./engine-ipc.js";

// A prompt is measured before it gets a sequence: node-llama-cpp would otherwise cut an oversized
// prompt to the context silently (or shift the context mid-generation, which needs the context lock
// and stalls the whole batch), and the task would run on an input the client never sent.

export type ChatInput = { history: ChatHistoryItem[]; prompt: string };

/** Chat turns → node-llama-cpp history plus the final user prompt; undefined when the last turn is not the user's. */
export function splitChat(messages: NonNullable<EngineInferMessage["messages"]>): ChatInput | undefined {
  const last = messages[messages.length - 1];
  if (last === undefined || last.role !== "user") return undefined;
  const history: ChatHistoryItem[] = messages.slice(0, -1).map((m) =>
    m.role === "system" ? { type: "system", text: m.content } : m.role === "user" ? { type: "user", text: m.content } : { type: "model", response: [m.content] },
  );
  return { history, prompt: last.content };
}

/** Tokens a completion prompt occupies: its text plus the BOS token node-llama-cpp prepends. */
export function completionPromptTokens(model: LlamaModel, prompt: string): number {
  const bos = model.tokens.shouldPrependBosToken && model.tokens.bos !== null ? 1 : 0;
  return model.tokenize(prompt).length + bos;
}

/** Tokens a chat occupies as the chat wrapper renders it, up to where the model's answer starts. */
export function chatPromptTokens(model: LlamaModel, wrapper: ChatWrapper, chat: ChatInput): number {
  const chatHistory: ChatHistoryItem[] = [...chat.history, { type: "user", text: chat.prompt }, { type: "model", response: [] }];
  return wrapper.generateContextState({ chatHistory }).contextText.tokenize(model.tokenizer).length;
}

export type MeasuredPrompt = { ok: true; promptTokens: number; chat?: ChatInput } | { ok: false; code: "INVALID_PARAMS" | "INTERNAL"; message: string };

/** The infer's prompt (completion text or chat) in tokens, as it will be decoded. */
export function measurePrompt(model: LlamaModel, wrapper: ChatWrapper, msg: Pick<EngineInferMessage, "prompt" | "messages">): MeasuredPrompt {
  try {
    if (msg.messages === undefined) return { ok: true, promptTokens: completionPromptTokens(model, msg.prompt ?? "") };
    const chat = splitChat(msg.messages);
    if (chat === undefined) return { ok: false, code: "INVALID_PARAMS", message: "the last chat message must come from the user" };
    return { ok: true, promptTokens: chatPromptTokens(model, wrapper, chat), chat };
  } catch (error) {
    return { ok: false, code: "INTERNAL", message: `could not tokenize the prompt: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/**
 * The CONTEXT_TOO_LONG message when prompt plus max_tokens does not fit one sequence's context,
 * else undefined. Fitting means generation never needs a context shift.
 */
export function contextOverflow(promptTokens: number, maxTokens: number, contextSize: number): string | undefined {
  if (promptTokens + maxTokens <= contextSize) return undefined;
  return `prompt of ${promptTokens} tokens plus max_tokens ${maxTokens} is ${promptTokens + maxTokens} tokens, more than the ${contextSize}-token context of a slot`;
}
