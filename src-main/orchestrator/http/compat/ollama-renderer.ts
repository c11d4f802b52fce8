import { ollamaError } from "../../../../src-shared/ollama/ollama-error.js";
import type { TokenLogprobs } from "../../../../src-shared/streaming/sse-events.js";
import type { Task } from "../../tasks/task.js";
import { ndjsonLine, type AssembledToolCall, type BodyRenderer, type Completion, type StreamRenderer } from "./surface-renderer.js";

export type OllamaKind = "chat" | "generate";

const NS_PER_MS = 1_000_000;

/**
 * A duration of work that happened, from millisecond timestamps: at least 1 ms when `count` > 0. Both
 * ends fall in one millisecond tick for a few fast tokens, and clients divide by it (eval_count /
 * eval_duration is what `ollama run --verbose` and Open WebUI show as tokens per second): 0 would be
 * an infinite rate; 1 ms is the tick's upper bound.
 */
function spanMs(from: number, to: number, count: number): number {
  const ms = Math.max(0, to - from);
  return count > 0 ? Math.max(1, ms) : ms;
}

/** Ollama's done-line timings from the task's own clock (nanoseconds; the model is always loaded). */
function timings(done: Completion): Record<string, number> {
  const t = done.task;
  const now = Date.now();
  const firstToken = t.first_token_at_ms ?? now;
  const promptMs = spanMs(t.started_at_ms ?? t.enqueued_at_ms, firstToken, done.promptTokens);
  const evalMs = spanMs(firstToken, t.finished_at_ms ?? now, done.completionTokens);
  return {
    total_duration: Math.max(now - t.enqueued_at_ms, promptMs + evalMs) * NS_PER_MS,
    load_duration: 0,
    prompt_eval_count: done.promptTokens,
    prompt_eval_duration: promptMs * NS_PER_MS,
    eval_count: done.completionTokens,
    eval_duration: evalMs * NS_PER_MS,
  };
}

/** The chunk shape of /api/chat (`message`) or /api/generate (`response`). */
export function ollamaChunk(kind: OllamaKind, model: string, text: string, extra: Record<string, unknown>, toolCalls?: unknown[]): Record<string, unknown> {
  const content = kind === "chat" ? { message: { role: "assistant", content: text, ...(toolCalls !== undefined ? { tool_calls: toolCalls } : {}) } } : { response: text };
  return { model, created_at: new Date().toISOString(), ...content, ...extra };
}

/** Ollama's `logprobs` of a line: like OpenAI's chat shape, alternatives only when asked for (omitempty). */
function ollamaLogprobs(tokens: readonly TokenLogprobs[]): Record<string, unknown>[] {
  return tokens.map((t) => ({ token: t.token, logprob: t.logprob, bytes: t.bytes, ...(t.top_logprobs.length > 0 ? { top_logprobs: t.top_logprobs.map((a) => ({ token: a.token, logprob: a.logprob, bytes: a.bytes })) } : {}) }));
}

/** A call as Ollama shapes it: arguments as an object (the grammar makes them one; anything else is kept as `{}`). */
function toolCall(task: Task, call: AssembledToolCall): { id: string; function: { index: number; name: string; arguments: Record<string, unknown> } } {
  let args: unknown;
  try {
    args = JSON.parse(call.arguments === "" ? "{}" : call.arguments);
  } catch {
    args = {};
  }
  const object = args !== null && typeof args === "object" && !Array.isArray(args) ? (args as Record<string, unknown>) : {};
  return { id: `call_${task.task_id.replaceAll("-", "")}_${call.index}`, function: { index: call.index, name: call.name, arguments: object } };
}

/**
 * NDJSON lines while streaming; the done object alone without. The model name echoes the request's.
 * Tool calls go out whole, as Ollama sends them: one line with message.tool_calls before the done line.
 */
export function ollamaRenderers(kind: OllamaKind, modelName: string, task: Task): { stream: StreamRenderer; body: BodyRenderer } {
  const final = (text: string, done: Completion, whole: boolean) =>
    ollamaChunk(
      kind,
      modelName,
      text,
      { done: true, done_reason: done.reason === "length" ? "length" : "stop", ...timings(done), ...(whole && done.logprobs !== undefined ? { logprobs: ollamaLogprobs(done.logprobs) } : {}) },
      whole && done.toolCalls.length > 0 ? done.toolCalls.map((c) => toolCall(task, c)) : undefined,
    );
  const stream: StreamRenderer = {
    framing: "ndjson",
    open: () => [],
    // A tool call's tokens carry no text: the call is sent whole at the end.
    token: (text, extra) =>
      extra.tool_call !== undefined && text === "" ? [] : [ndjsonLine(ollamaChunk(kind, modelName, text, { done: false, ...(extra.logprobs !== undefined ? { logprobs: ollamaLogprobs(extra.logprobs) } : {}) }))],
    end: (done) => [...(done.toolCalls.length > 0 ? [ndjsonLine(ollamaChunk(kind, modelName, "", { done: false }, done.toolCalls.map((c) => toolCall(task, c))))] : []), ndjsonLine(final("", done, false))],
    // ollama-js and Open WebUI raise on a line carrying `error`.
    fail: (failure) => [ndjsonLine(ollamaError(failure.message))],
  };
  return { stream, body: { body: (done) => final(done.text, done, true) } };
}
