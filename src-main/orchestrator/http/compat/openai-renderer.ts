import { OPENAI_STREAM_DONE } from "../../../../src-shared/openai/completions.js";
import type { FinishReason, Usage } from "../../../../src-shared/openai/openai-common.js";
import { openAiErrorType } from "../../../../src-shared/openai/openai-error.js";
import type { Task } from "../../tasks/task.js";
import { sseData, type BodyRenderer, type Completion, type Failure, type StreamRenderer } from "./surface-renderer.js";

export type OpenAiKind = "chat" | "completion";

function usageOf(done: Completion): Usage {
  return { prompt_tokens: done.promptTokens, completion_tokens: done.completionTokens, total_tokens: done.promptTokens + done.completionTokens };
}

function finishReason(done: Completion): FinishReason {
  return done.reason === "length" ? "length" : "stop";
}

/** The error object OpenAI puts in a streamed data frame; the SDKs raise on a frame carrying `error`. */
export function openAiStreamError(failure: Failure): { error: { message: string; type: string; param: null; code: string } } {
  return { error: { message: failure.message, type: openAiErrorType(failure.status), param: null, code: failure.code } };
}

/** Chat and text completions: ids `chatcmpl-<task id>` / `cmpl-<task id>`, so GET /v2/tasks/<id> finds the run. */
export function openAiRenderers(kind: OpenAiKind, task: Task, includeUsage: boolean): { stream: StreamRenderer; body: BodyRenderer } {
  const id = `${kind === "chat" ? "chatcmpl" : "cmpl"}-${task.task_id}`;
  const created = Math.floor(Date.now() / 1000);
  const model = task.model.id;
  const object = kind === "chat" ? "chat.completion.chunk" : "text_completion";
  const chunk = (text: string | null, reason: FinishReason | null, first: boolean) =>
    kind === "chat"
      ? { id, object, created, model, choices: [{ index: 0, delta: text === null ? {} : first ? { role: "assistant", content: text } : { content: text }, finish_reason: reason, logprobs: null }] }
      : { id, object, created, model, choices: [{ index: 0, text: text ?? "", finish_reason: reason, logprobs: null }] };
  let first = true;
  const stream: StreamRenderer = {
    framing: "sse",
    open: () => [],
    token(text) {
      const frame = sseData(chunk(text, null, first));
      first = false;
      return [frame];
    },
    end(done) {
      const frames = [sseData(chunk(null, finishReason(done), false))];
      if (includeUsage) frames.push(sseData({ id, object, created, model, choices: [], usage: usageOf(done) }));
      frames.push(sseData(OPENAI_STREAM_DONE));
      return frames;
    },
    fail: (failure) => [sseData(openAiStreamError(failure))],
  };
  const body: BodyRenderer = {
    body: (done) =>
      kind === "chat"
        ? { id, object: "chat.completion", created, model, choices: [{ index: 0, message: { role: "assistant", content: done.text }, finish_reason: finishReason(done), logprobs: null }], usage: usageOf(done) }
        : { id, object: "text_completion", created, model, choices: [{ index: 0, text: done.text, finish_reason: finishReason(done), logprobs: null }], usage: usageOf(done) },
  };
  return { stream, body };
}
