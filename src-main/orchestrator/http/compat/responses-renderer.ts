import { echoedModelId } from "../../catalog/model-resolver.js";
import { openAiErrorType } from "../../../../src-shared/openai/openai-error.js";
import { includesLogprobs, type ResponseObject, type ResponsesFunctionTool, type ResponsesOutputFunctionCall, type ResponsesOutputMessage, type ResponsesRequest } from "../../../../src-shared/openai/responses.js";
import type { TokenLogprobs } from "../../../../src-shared/streaming/sse-events.js";
import type { Task } from "../../tasks/task.js";
import { outputTextLogprobs, streamLogprobs } from "./responses-logprobs.js";
import { sseNamed, type AssembledToolCall, type BodyRenderer, type Completion, type Failure, type StreamRenderer } from "./surface-renderer.js";

type Status = ResponseObject["status"];
type ItemStatus = ResponsesOutputMessage["status"];
type OutputItem = ResponseObject["output"][number];

/**
 * The Responses API's object and streaming events, as the official API sends them: every event
 * carries `type` and a rising `sequence_number`; output items (a message, function calls) are opened
 * with response.output_item.added and closed with response.output_item.done in output order; the
 * stream ends with response.completed (or response.incomplete at max_output_tokens, or
 * response.failed + error). With include "message.output_text.logprobs", each text delta carries its
 * tokens' log probabilities and every output_text part (and output_text.done) all of its own.
 */
export function responsesRenderers(task: Task, req: ResponsesRequest): { stream: StreamRenderer; body: BodyRenderer } {
  const base = task.task_id.replaceAll("-", "");
  const id = `resp_${base}`;
  const messageId = `msg_${base}`;
  const createdAt = Math.floor(Date.now() / 1000);
  const hasTools = (req.tools ?? []).length > 0 && req.tool_choice !== "none";
  const withLogprobs = includesLogprobs(req);
  const kept = (tokens: readonly TokenLogprobs[] | undefined): TokenLogprobs[] => (withLogprobs && tokens !== undefined ? [...tokens] : []);
  const object = (status: Status, output: OutputItem[], done: Completion | null, error: Failure | null): ResponseObject => ({
    id,
    object: "response",
    created_at: createdAt,
    status,
    error: error === null ? null : { code: error.code, message: error.message },
    incomplete_details: status === "incomplete" ? { reason: "max_output_tokens" } : null,
    instructions: req.instructions ?? null,
    max_output_tokens: req.max_output_tokens ?? null,
    model: echoedModelId(task.model),
    output,
    parallel_tool_calls: req.parallel_tool_calls ?? true,
    previous_response_id: null,
    store: false,
    temperature: req.temperature ?? null,
    text: { format: req.text?.format ?? { type: "text" } },
    tool_choice: toolChoiceOf(req),
    tools: (req.tools ?? []).map((t) => functionTool(t as ResponsesFunctionTool)),
    top_logprobs: req.top_logprobs ?? 0,
    top_p: req.top_p ?? null,
    truncation: "disabled",
    usage: done === null ? null : { input_tokens: done.promptTokens, input_tokens_details: { cached_tokens: 0 }, output_tokens: done.completionTokens, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: done.promptTokens + done.completionTokens },
    user: req.user ?? null,
    metadata: {},
  });
  const message = (text: string, status: ItemStatus, logprobs: readonly TokenLogprobs[]): ResponsesOutputMessage => ({ type: "message", id: messageId, status, role: "assistant", content: status === "in_progress" && text === "" ? [] : [part(text, logprobs)] });
  const part = (text: string, logprobs: readonly TokenLogprobs[]) => ({ type: "output_text" as const, text, annotations: [], logprobs: outputTextLogprobs(logprobs) });
  const call = (c: AssembledToolCall, status: ItemStatus): ResponsesOutputFunctionCall => ({ type: "function_call", id: `fc_${base}_${c.index}`, call_id: `call_${base}_${c.index}`, name: c.name, arguments: c.arguments, status });
  const finalStatus = (done: Completion): Status => (done.reason === "length" ? "incomplete" : "completed");
  const itemStatus = (done: Completion): ItemStatus => (done.reason === "length" ? "incomplete" : "completed");
  /** Without streaming order to go by: the text (if any, or if nothing else) first, then the calls. */
  const bodyOutput = (done: Completion): OutputItem[] => {
    const calls = done.toolCalls.map((c) => call(c, itemStatus(done)));
    return done.text !== "" || calls.length === 0 ? [message(done.text, itemStatus(done), kept(done.logprobs)), ...calls] : calls;
  };

  let sequence = 0;
  const event = (type: string, data: Record<string, unknown>) => sseNamed(type, { type, sequence_number: sequence++, ...data });
  // The items streamed so far, in output order; the last one is open until the next one starts or the response ends.
  const items: ({ kind: "message"; text: string; logprobs: TokenLogprobs[] } | { kind: "call"; call: AssembledToolCall })[] = [];
  let open = false;
  const textAt = () => ({ item_id: messageId, output_index: items.length - 1, content_index: 0 });
  const openMessage = () => {
    items.push({ kind: "message", text: "", logprobs: [] });
    open = true;
    return [event("response.output_item.added", { output_index: items.length - 1, item: message("", "in_progress", []) }), event("response.content_part.added", { ...textAt(), part: part("", []) })];
  };
  const closeOpen = (status: ItemStatus): string[] => {
    const item = items[items.length - 1];
    if (!open || item === undefined) return [];
    open = false;
    const outputIndex = items.length - 1;
    if (item.kind === "message") {
      return [
        event("response.output_text.done", { ...textAt(), text: item.text, logprobs: streamLogprobs(item.logprobs) }),
        event("response.content_part.done", { ...textAt(), part: part(item.text, item.logprobs) }),
        event("response.output_item.done", { output_index: outputIndex, item: message(item.text, status, item.logprobs) }),
      ];
    }
    const done = call(item.call, status);
    return [
      event("response.function_call_arguments.done", { item_id: done.id, output_index: outputIndex, name: done.name, arguments: done.arguments }),
      event("response.output_item.done", { output_index: outputIndex, item: done }),
    ];
  };
  const streamedOutput = (status: ItemStatus): OutputItem[] => items.map((item) => (item.kind === "message" ? message(item.text, status, item.logprobs) : call(item.call, status)));

  const stream: StreamRenderer = {
    framing: "sse",
    open: () => {
      const frames = [event("response.created", { response: object("in_progress", [], null, null) }), event("response.in_progress", { response: object("in_progress", [], null, null) })];
      // Without tools the output is one message: open it at once, as the API does.
      return hasTools ? frames : [...frames, ...openMessage()];
    },
    token: (delta, extra) => {
      const fragment = extra.tool_call;
      if (fragment === undefined) {
        if (delta === "") return [];
        const current = items[items.length - 1];
        const frames = open && current?.kind === "message" ? [] : [...closeOpen("completed"), ...openMessage()];
        const item = items[items.length - 1] as { kind: "message"; text: string; logprobs: TokenLogprobs[] };
        const tokens = kept(extra.logprobs);
        item.text += delta;
        item.logprobs.push(...tokens);
        return [...frames, event("response.output_text.delta", { ...textAt(), delta, logprobs: streamLogprobs(tokens) })];
      }
      const frames: string[] = [];
      if (fragment.name !== undefined) {
        frames.push(...closeOpen("completed"));
        const started: AssembledToolCall = { index: fragment.index, name: fragment.name, arguments: "" };
        items.push({ kind: "call", call: started });
        open = true;
        frames.push(event("response.output_item.added", { output_index: items.length - 1, item: call(started, "in_progress") }));
      }
      const current = items[items.length - 1];
      if (current?.kind !== "call" || fragment.arguments === "") return frames;
      current.call.arguments += fragment.arguments;
      frames.push(event("response.function_call_arguments.delta", { item_id: call(current.call, "in_progress").id, output_index: items.length - 1, delta: fragment.arguments }));
      return frames;
    },
    end(done) {
      const status = finalStatus(done);
      const frames = items.length === 0 ? openMessage() : [];
      frames.push(...closeOpen(itemStatus(done)));
      frames.push(event(status === "incomplete" ? "response.incomplete" : "response.completed", { response: object(status, streamedOutput(itemStatus(done)), done, null) }));
      return frames;
    },
    // response.failed closes the lifecycle; the error event (with `error`, as the API sends it) makes SDK streams throw.
    fail: (failure) => [
      event("response.failed", { response: object("failed", [], null, failure) }),
      event("error", { code: failure.code, message: failure.message, param: failure.param ?? null, error: { type: openAiErrorType(failure.status), code: failure.code, message: failure.message, param: failure.param ?? null } }),
    ],
  };
  const body: BodyRenderer = { body: (done) => object(finalStatus(done), bodyOutput(done), done, null) };
  return { stream, body };
}

function functionTool(tool: ResponsesFunctionTool): ResponseObject["tools"][number] {
  return { type: "function", name: tool.name, description: tool.description ?? null, parameters: tool.parameters ?? null, strict: tool.strict ?? null };
}

function toolChoiceOf(req: ResponsesRequest): ResponseObject["tool_choice"] {
  const choice = req.tool_choice;
  if (choice === undefined || choice === null) return (req.tools ?? []).length > 0 ? "auto" : "none";
  if (typeof choice === "string") return choice;
  return { type: "function", name: String((choice as { name?: unknown }).name) };
}
