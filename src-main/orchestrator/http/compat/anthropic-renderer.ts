import { anthropicError } from "../../../../src-shared/anthropic/anthropic-error.js";
import type { AnthropicMessage, AnthropicMessagesRequest, AnthropicStopReason } from "../../../../src-shared/anthropic/messages.js";
import type { Task } from "../../tasks/task.js";
import { sseNamed, type BodyRenderer, type Completion, type StreamRenderer } from "./surface-renderer.js";

/** Anthropic's message object and its streaming events (one text content block at index 0). */
export function anthropicRenderers(task: Task, req: AnthropicMessagesRequest): { stream: StreamRenderer; body: BodyRenderer } {
  const id = `msg_${task.task_id.replaceAll("-", "")}`;
  const model = task.model.id;
  const stopReason = (done: Completion): AnthropicStopReason => (done.reason === "length" ? "max_tokens" : done.reason === "stop" ? "stop_sequence" : "end_turn");
  // The engine reports that a stop string matched, not which: name it only when there was one.
  const stopSequence = (done: Completion): string | null => (done.reason === "stop" && req.stop_sequences?.length === 1 ? (req.stop_sequences[0] ?? null) : null);
  const message = (text: string | null, done: Completion | null): AnthropicMessage => ({
    id,
    type: "message",
    role: "assistant",
    model,
    content: text === null ? [] : [{ type: "text", text }],
    stop_reason: done === null ? null : stopReason(done),
    stop_sequence: done === null ? null : stopSequence(done),
    usage: { input_tokens: done?.promptTokens ?? 0, output_tokens: done?.completionTokens ?? 0 },
  });
  const event = (type: string, data: Record<string, unknown> = {}) => sseNamed(type, { type, ...data });
  const stream: StreamRenderer = {
    framing: "sse",
    // The prompt's token count is known only at the end; message_delta carries it (its usage counters are totals).
    open: () => [event("message_start", { message: message(null, null) }), event("content_block_start", { index: 0, content_block: { type: "text", text: "" } }), event("ping")],
    token: (text) => [event("content_block_delta", { index: 0, delta: { type: "text_delta", text } })],
    end: (done) => [
      event("content_block_stop", { index: 0 }),
      event("message_delta", { delta: { stop_reason: stopReason(done), stop_sequence: stopSequence(done) }, usage: { input_tokens: done.promptTokens, output_tokens: done.completionTokens } }),
      event("message_stop"),
    ],
    fail: (failure) => [sseNamed("error", anthropicError(failure.status, failure.message))],
  };
  return { stream, body: { body: (done) => message(done.text, done) } };
}
