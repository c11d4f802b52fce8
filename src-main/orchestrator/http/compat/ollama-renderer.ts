import { ollamaError } from "../../../../src-shared/ollama/ollama-error.js";
import { ndjsonLine, type BodyRenderer, type Completion, type StreamRenderer } from "./surface-renderer.js";

export type OllamaKind = "chat" | "generate";

const NS_PER_MS = 1_000_000;

/** Ollama's done-line timings from the task's own clock (nanoseconds; the model is always loaded). */
function timings(done: Completion): Record<string, number> {
  const t = done.task;
  const now = Date.now();
  const firstToken = t.first_token_at_ms ?? now;
  return {
    total_duration: Math.max(0, now - t.enqueued_at_ms) * NS_PER_MS,
    load_duration: 0,
    prompt_eval_count: done.promptTokens,
    prompt_eval_duration: Math.max(0, firstToken - (t.started_at_ms ?? t.enqueued_at_ms)) * NS_PER_MS,
    eval_count: done.completionTokens,
    eval_duration: Math.max(0, (t.finished_at_ms ?? now) - firstToken) * NS_PER_MS,
  };
}

/** The chunk shape of /api/chat (`message`) or /api/generate (`response`). */
export function ollamaChunk(kind: OllamaKind, model: string, text: string, extra: Record<string, unknown>): Record<string, unknown> {
  const content = kind === "chat" ? { message: { role: "assistant", content: text } } : { response: text };
  return { model, created_at: new Date().toISOString(), ...content, ...extra };
}

/** NDJSON lines while streaming; the done object alone without. The model name echoes the request's. */
export function ollamaRenderers(kind: OllamaKind, modelName: string): { stream: StreamRenderer; body: BodyRenderer } {
  const final = (text: string, done: Completion) => ollamaChunk(kind, modelName, text, { done: true, done_reason: done.reason === "length" ? "length" : "stop", ...timings(done) });
  const stream: StreamRenderer = {
    framing: "ndjson",
    open: () => [],
    token: (text) => [ndjsonLine(ollamaChunk(kind, modelName, text, { done: false }))],
    end: (done) => [ndjsonLine(final("", done))],
    // ollama-js and Open WebUI raise on a line carrying `error`.
    fail: (failure) => [ndjsonLine(ollamaError(failure.message))],
  };
  return { stream, body: { body: (done) => final(done.text, done) } };
}
