import { ChatCompletionChunkSchema } from "../../src-shared/openai/chat-completions.js";
import { OpenAiErrorSchema } from "../../src-shared/openai/openai-error.js";
import { PIN_NODE_HEADER } from "../../src-shared/tasks/placement.js";
import { readSseFrames } from "../../src-shared/streaming/read-sse.js";
import { apiErrorFromBody, toApiError, type ApiError } from "./errors.js";
import type { FetchLike } from "./client.js";

export interface ChatMessageInput {
  role: "system" | "user" | "assistant";
  content: string;
}

export interface ChatStreamHandlers {
  /** The orchestrator task behind the completion (chunk ids are `chatcmpl-<task_id>`). */
  onTaskId(taskId: string): void;
  onToken(text: string): void;
  onDone(result: { finishReason: string | null; completionTokens: number | null }): void;
  onError(err: ApiError): void;
}

/** `chatcmpl-<task_id>` → task id. */
export function taskIdFromChunkId(id: string): string | null {
  return id.startsWith("chatcmpl-") && id.length > 9 ? id.slice(9) : null;
}

/**
 * Streams POST /v1/chat/completions (stream:true) and reports tokens as they arrive. Returns an
 * AbortController: aborting closes the connection (the orchestrator cancels on disconnect); the
 * Playground also cancels the task by id so the engine stops at once.
 */
export function streamChat(
  body: { model: string; messages: ChatMessageInput[]; max_tokens: number; temperature?: number },
  handlers: ChatStreamHandlers,
  fetchImpl: FetchLike = (input, init) => fetch(input, init),
  pinNode: string | null = null,
): AbortController {
  const controller = new AbortController();
  void (async () => {
    let finished = false;
    const finish = (fn: () => void) => {
      if (finished) return;
      finished = true;
      fn();
    };
    try {
      const res = await fetchImpl("/v1/chat/completions", {
        method: "POST",
        credentials: "same-origin",
        headers: { "content-type": "application/json", accept: "text/event-stream", ...(pinNode !== null ? { [PIN_NODE_HEADER]: pinNode } : {}) },
        body: JSON.stringify({ ...body, stream: true, stream_options: { include_usage: true } }),
        signal: controller.signal,
      });
      if (!res.ok || res.body === null) {
        let json: unknown;
        try {
          json = JSON.parse(await res.text());
        } catch {
          json = undefined;
        }
        finish(() => handlers.onError(apiErrorFromBody(res.status, json)));
        return;
      }
      // The orchestrator names the task in a header, so Stop works even before the first chunk.
      const headerTaskId = res.headers.get("x-task-id");
      let taskSeen = headerTaskId !== null;
      if (headerTaskId !== null) handlers.onTaskId(headerTaskId);
      let finishReason: string | null = null;
      let completionTokens: number | null = null;
      for await (const frame of readSseFrames(res.body)) {
        if (frame.data === "[DONE]") {
          finish(() => handlers.onDone({ finishReason, completionTokens }));
          continue;
        }
        let json: unknown;
        try {
          json = JSON.parse(frame.data);
        } catch {
          continue;
        }
        const error = OpenAiErrorSchema.safeParse(json);
        if (error.success) {
          finish(() => handlers.onError(apiErrorFromBody(500, json)));
          continue;
        }
        const chunk = ChatCompletionChunkSchema.safeParse(json);
        if (!chunk.success) continue;
        if (!taskSeen) {
          const id = taskIdFromChunkId(chunk.data.id);
          if (id !== null) {
            taskSeen = true;
            handlers.onTaskId(id);
          }
        }
        const choice = chunk.data.choices[0];
        if (choice?.delta.content) handlers.onToken(choice.delta.content);
        if (choice?.finish_reason) finishReason = choice.finish_reason;
        if (chunk.data.usage) completionTokens = chunk.data.usage.completion_tokens;
      }
      finish(() => handlers.onDone({ finishReason, completionTokens }));
    } catch (err) {
      const e = toApiError(err);
      finish(() => (e.code === "ABORTED" ? handlers.onDone({ finishReason: "canceled", completionTokens: null }) : handlers.onError(e)));
    }
  })();
  return controller;
}
