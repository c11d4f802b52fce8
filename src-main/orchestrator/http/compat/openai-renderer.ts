import { echoedModelId } from "../../catalog/model-resolver.js";
import { OPENAI_STREAM_DONE } from "../../../../src-shared/openai/completions.js";
import type { FinishReason, Usage } from "../../../../src-shared/openai/openai-common.js";
import { openAiErrorType } from "../../../../src-shared/openai/openai-error.js";
import type { OpenAiToolCall } from "../../../../src-shared/openai/openai-tools.js";
import type { ToolCallDelta } from "../../../../src-shared/streaming/sse-events.js";
import type { Task } from "../../tasks/task.js";
import { chatLogprobs, completionLogprobs } from "./openai-logprobs.js";
import { sseData, type AssembledToolCall, type BodyRenderer, type Completion, type Failure, type StreamRenderer } from "./surface-renderer.js";

export type OpenAiKind = "chat" | "completion";

function usageOf(done: Completion): Usage {
  return { prompt_tokens: done.promptTokens, completion_tokens: done.completionTokens, total_tokens: done.promptTokens + done.completionTokens };
}

function finishReason(done: Completion): FinishReason {
  return done.reason === "length" ? "length" : done.reason === "tool_calls" ? "tool_calls" : "stop";
}

/** The error object OpenAI puts in a streamed data frame; the SDKs raise on a frame carrying `error`. */
export function openAiStreamError(failure: Failure): { error: { message: string; type: string; param: string | null; code: string } } {
  return { error: { message: failure.message, type: openAiErrorType(failure.status), param: failure.param ?? null, code: failure.code } };
}

/** A tool call's id: derived from the task, so it is stable across the stream and the body. */
function toolCallId(task: Task, index: number): string {
  return `call_${task.task_id.replaceAll("-", "")}_${index}`;
}

function toolCall(task: Task, call: AssembledToolCall): OpenAiToolCall {
  return { id: toolCallId(task, call.index), type: "function", function: { name: call.name, arguments: call.arguments } };
}

/** A streamed tool-call fragment as OpenAI sends it: id, type and name on the first one of each call. */
function toolCallDelta(task: Task, delta: ToolCallDelta) {
  if (delta.name === undefined) return { index: delta.index, function: { arguments: delta.arguments } };
  return { index: delta.index, id: toolCallId(task, delta.index), type: "function" as const, function: { name: delta.name, arguments: delta.arguments } };
}

/** Chat and text completions: ids `chatcmpl-<task id>` / `cmpl-<task id>`, so GET /v2/tasks/<id> finds the run. */
export function openAiRenderers(kind: OpenAiKind, task: Task, includeUsage: boolean): { stream: StreamRenderer; body: BodyRenderer } {
  const id = `${kind === "chat" ? "chatcmpl" : "cmpl"}-${task.task_id}`;
  const created = Math.floor(Date.now() / 1000);
  const model = echoedModelId(task.model);
  const object = kind === "chat" ? "chat.completion.chunk" : "text_completion";
  const head = { id, object, created, model };
  let first = true;
  let textSent = 0;
  // A plain text token (no logprobs, no tool call; for chat, not the first) is the same chunk every time
  // but for its text: written around a JSON string of the text instead of serialising a fresh chunk
  // object per token. Byte-identical to the object path (renderers.test.ts).
  const headJson = JSON.stringify(head).slice(0, -1);
  const plainOpen = kind === "completion" ? `data: ${headJson},"choices":[{"index":0,"text":` : `data: ${headJson},"choices":[{"index":0,"delta":{"content":`;
  const plainClose = kind === "completion" ? `,"finish_reason":null,"logprobs":null}]}\n\n` : `},"finish_reason":null,"logprobs":null}]}\n\n`;
  const stream: StreamRenderer = {
    framing: "sse",
    open: () => [],
    token(text, extra) {
      if (extra.logprobs === undefined && extra.tool_call === undefined && (kind === "completion" || !first)) {
        textSent += text.length;
        return [plainOpen + JSON.stringify(text) + plainClose];
      }
      const role = first ? { role: "assistant" } : {};
      first = false;
      if (kind === "completion") {
        const logprobs = extra.logprobs === undefined ? null : completionLogprobs(extra.logprobs, textSent);
        textSent += text.length;
        return [sseData({ ...head, choices: [{ index: 0, text, finish_reason: null, logprobs }] })];
      }
      const delta = extra.tool_call !== undefined ? { ...role, ...(role.role !== undefined ? { content: null } : {}), tool_calls: [toolCallDelta(task, extra.tool_call)] } : { ...role, content: text };
      return [sseData({ ...head, choices: [{ index: 0, delta, finish_reason: null, logprobs: extra.logprobs === undefined ? null : chatLogprobs(extra.logprobs) }] })];
    },
    end(done) {
      const last = kind === "chat" ? { index: 0, delta: {}, finish_reason: finishReason(done), logprobs: null } : { index: 0, text: "", finish_reason: finishReason(done), logprobs: null };
      const frames = [sseData({ ...head, choices: [last] })];
      if (includeUsage) frames.push(sseData({ ...head, choices: [], usage: usageOf(done) }));
      frames.push(sseData(OPENAI_STREAM_DONE));
      return frames;
    },
    fail: (failure) => [sseData(openAiStreamError(failure))],
  };
  const body: BodyRenderer = {
    body(done) {
      if (kind === "completion") {
        const logprobs = done.logprobs === undefined ? null : completionLogprobs(done.logprobs);
        return { id, object: "text_completion", created, model, choices: [{ index: 0, text: done.text, finish_reason: finishReason(done), logprobs }], usage: usageOf(done) };
      }
      const calls = done.toolCalls.map((c) => toolCall(task, c));
      const message = calls.length > 0 ? { role: "assistant", content: done.text === "" ? null : done.text, tool_calls: calls } : { role: "assistant", content: done.text };
      const logprobs = done.logprobs === undefined ? null : chatLogprobs(done.logprobs);
      return { id, object: "chat.completion", created, model, choices: [{ index: 0, message, finish_reason: finishReason(done), logprobs }], usage: usageOf(done) };
    },
  };
  return { stream, body };
}
