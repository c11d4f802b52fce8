import type { ChatWrapper, LlamaModel } from "node-llama-cpp";
import { planChat, type ChatPlan } from "./chat-plan.js";
import type { EngineInferMessage } from "./engine-ipc.js";

// A prompt is measured before it gets a sequence: node-llama-cpp would otherwise cut an oversized
// prompt to the context silently (or shift the context mid-generation, which needs the context lock
// and stalls the whole batch), and the task would run on an input the client never sent.

/** Tokens a completion prompt occupies: its text plus the BOS token node-llama-cpp prepends. */
export function completionPromptTokens(model: LlamaModel, prompt: string): number {
  const bos = model.tokens.shouldPrependBosToken && model.tokens.bos !== null ? 1 : 0;
  return model.tokenize(prompt).length + bos;
}

/**
 * Tokens a fill-in-the-middle input occupies as node-llama-cpp frames it: the prefix and suffix
 * (each tokenized without a leading space), the prefix / suffix / middle tokens and BOS.
 */
export function infillPromptTokens(model: LlamaModel, prefix: string, suffix: string): number {
  const bos = model.tokens.shouldPrependBosToken && model.tokens.bos !== null ? 1 : 0;
  const framing = 2 + (model.tokens.infill.middle !== null ? 1 : 0) + bos;
  return model.tokenize(prefix, false, "trimLeadingSpace").length + model.tokenize(suffix, false, "trimLeadingSpace").length + framing;
}

/** Whether the model has the tokens a fill-in-the-middle input needs (node-llama-cpp's infillSupported). */
export function supportsInfill(model: LlamaModel): boolean {
  return model.tokens.infill.prefix !== null && model.tokens.infill.suffix !== null;
}

/** Tokens a chat occupies as its wrapper renders it (functions documented), up to where the model's answer goes on. */
export function chatPromptTokens(model: LlamaModel, plan: ChatPlan): number {
  const state = plan.wrapper.generateContextState({ chatHistory: plan.history, ...(plan.functions !== undefined ? { availableFunctions: plan.functions, documentFunctionParams: true } : {}) });
  return state.contextText.tokenize(model.tokenizer).length;
}

export type MeasuredPrompt = { ok: true; promptTokens: number; chat?: ChatPlan } | { ok: false; code: "INVALID_PARAMS" | "INTERNAL"; message: string };

/** The infer's prompt (completion text or chat) in tokens, as it will be decoded. */
export function measurePrompt(model: LlamaModel, wrapper: ChatWrapper, msg: Pick<EngineInferMessage, "prompt" | "suffix" | "messages" | "tools" | "tool_choice">): MeasuredPrompt {
  try {
    if (msg.messages === undefined && msg.suffix !== undefined) return { ok: true, promptTokens: infillPromptTokens(model, msg.prompt ?? "", msg.suffix) };
    if (msg.messages === undefined) return { ok: true, promptTokens: completionPromptTokens(model, msg.prompt ?? "") };
    const planned = planChat(wrapper, msg);
    if (!planned.ok) return { ok: false, code: "INVALID_PARAMS", message: planned.message };
    return { ok: true, promptTokens: chatPromptTokens(model, planned.plan), chat: planned.plan };
  } catch (error) {
    return { ok: false, code: "INTERNAL", message: `could not tokenize the prompt: ${error instanceof Error ? error.message : String(error)}` };
  }
}
