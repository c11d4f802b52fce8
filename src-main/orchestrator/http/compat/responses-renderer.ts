import { openAiErrorType } from "../../../../src-shared/openai/openai-error.js";
import type { ResponseObject, ResponsesRequest } from "../../../../src-shared/openai/responses.js";
import type { Task } from "../../tasks/task.js";
import { sseNamed, type BodyRenderer, type Completion, type Failure, type StreamRenderer } from "./surface-renderer.js";

type Status = ResponseObject["status"];

/**
 * The Responses API's object and streaming events, as the official API sends them: every event
 * carries `type` and a rising `sequence_number`; the stream ends with response.completed (or
 * response.incomplete at max_output_tokens, or response.failed + error).
 */
export function responsesRenderers(task: Task, req: ResponsesRequest): { stream: StreamRenderer; body: BodyRenderer } {
  const id = `resp_${task.task_id.replaceAll("-", "")}`;
  const itemId = `msg_${task.task_id.replaceAll("-", "")}`;
  const createdAt = Math.floor(Date.now() / 1000);
  const object = (status: Status, text: string | null, done: Completion | null, error: Failure | null): ResponseObject => ({
    id,
    object: "response",
    created_at: createdAt,
    status,
    error: error === null ? null : { code: error.code, message: error.message },
    incomplete_details: status === "incomplete" ? { reason: "max_output_tokens" } : null,
    instructions: req.instructions ?? null,
    max_output_tokens: req.max_output_tokens ?? null,
    model: task.model.id,
    output: text === null ? [] : [message(text, status === "incomplete" ? "incomplete" : "completed")],
    parallel_tool_calls: true,
    previous_response_id: null,
    store: false,
    temperature: req.temperature ?? null,
    text: { format: { type: "text" } },
    tool_choice: "none",
    tools: [],
    top_p: req.top_p ?? null,
    truncation: "disabled",
    usage: done === null ? null : { input_tokens: done.promptTokens, input_tokens_details: { cached_tokens: 0 }, output_tokens: done.completionTokens, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: done.promptTokens + done.completionTokens },
    user: req.user ?? null,
    metadata: {},
  });
  const message = (text: string, status: "in_progress" | "completed" | "incomplete") => ({ type: "message" as const, id: itemId, status, role: "assistant" as const, content: status === "in_progress" && text === "" ? [] : [part(text)] });
  const part = (text: string) => ({ type: "output_text" as const, text, annotations: [] });
  const finalStatus = (done: Completion): Status => (done.reason === "length" ? "incomplete" : "completed");

  let sequence = 0;
  const event = (type: string, data: Record<string, unknown>) => sseNamed(type, { type, sequence_number: sequence++, ...data });
  const at = { item_id: itemId, output_index: 0, content_index: 0 };
  const stream: StreamRenderer = {
    framing: "sse",
    open: () => [
      event("response.created", { response: object("in_progress", null, null, null) }),
      event("response.in_progress", { response: object("in_progress", null, null, null) }),
      event("response.output_item.added", { output_index: 0, item: message("", "in_progress") }),
      event("response.content_part.added", { ...at, part: part("") }),
    ],
    token: (delta) => [event("response.output_text.delta", { ...at, delta, logprobs: [] })],
    end(done) {
      const status = finalStatus(done);
      return [
        event("response.output_text.done", { ...at, text: done.text, logprobs: [] }),
        event("response.content_part.done", { ...at, part: part(done.text) }),
        event("response.output_item.done", { output_index: 0, item: message(done.text, status === "incomplete" ? "incomplete" : "completed") }),
        event(status === "incomplete" ? "response.incomplete" : "response.completed", { response: object(status, done.text, done, null) }),
      ];
    },
    // response.failed closes the lifecycle; the error event (with `error`, as the API sends it) makes SDK streams throw.
    fail: (failure) => [
      event("response.failed", { response: object("failed", null, null, failure) }),
      event("error", { code: failure.code, message: failure.message, param: null, error: { type: openAiErrorType(failure.status), code: failure.code, message: failure.message, param: null } }),
    ],
  };
  const body: BodyRenderer = { body: (done) => object(finalStatus(done), done.text, done, null) };
  return { stream, body };
}
