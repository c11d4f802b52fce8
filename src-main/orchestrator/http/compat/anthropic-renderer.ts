import { echoedModelId } from "../../catalog/model-resolver.js";
import { anthropicError } from "../../../../src-shared/anthropic/anthropic-error.js";
import type { AnthropicMessage, AnthropicMessagesRequest, AnthropicStopReason } from "../../../../src-shared/anthropic/messages.js";
import type { Task } from "../../tasks/task.js";
import { sseNamed, type AssembledToolCall, type BodyRenderer, type Completion, type StreamRenderer } from "./surface-renderer.js";

type ContentBlock = AnthropicMessage["content"][number];

/** A tool_use block's id: derived from the task, so it is stable across the stream and the body. */
function toolUseId(task: Task, index: number): string {
  return `toolu_${task.task_id.replaceAll("-", "")}_${index}`;
}

/** A call's arguments as the tool_use input object (the grammar makes them a JSON object; anything else is kept as `{}`). */
function toolInput(call: AssembledToolCall): Record<string, unknown> {
  try {
    const input: unknown = JSON.parse(call.arguments === "" ? "{}" : call.arguments);
    return input !== null && typeof input === "object" && !Array.isArray(input) ? (input as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/**
 * Anthropic's message object and its streaming events. Without tools: one text block at index 0,
 * opened with the message. With tools: a block per run of text and per tool call, opened as they come;
 * a tool call streams as content_block_start (tool_use, input {}) + input_json_delta fragments + content_block_stop.
 */
export function anthropicRenderers(task: Task, req: AnthropicMessagesRequest): { stream: StreamRenderer; body: BodyRenderer } {
  const id = `msg_${task.task_id.replaceAll("-", "")}`;
  const model = echoedModelId(task.model);
  const withTools = task.generation.tools !== undefined;
  // The worker says when the context, not max_tokens, ended it (the engine shortened the ceiling): counting
  // tokens cannot tell, tool-call syntax takes from the limit without being counted as output.
  // A stop no stop sequence made (a structured output's grammar completed, or none was asked for) is the
  // model's own end of turn; an older worker that names no match stopped on one only if some were asked for.
  const byStopSequence = (done: Completion): boolean =>
    done.reason === "stop" && (done.stopSequence !== undefined || (task.generation.format === undefined && (req.stop_sequences?.length ?? 0) > 0));
  // The worker names the stop string that matched (an older one does not: then only a lone one is known).
  const stopSequence = (done: Completion): string | null => (!byStopSequence(done) ? null : (done.stopSequence ?? (req.stop_sequences?.length === 1 ? (req.stop_sequences[0] ?? null) : null)));
  const stopReason = (done: Completion): AnthropicStopReason =>
    done.reason === "length" ? (done.contextFull ? "model_context_window_exceeded" : "max_tokens") : done.reason === "tool_calls" || done.toolCalls.length > 0 ? "tool_use" : byStopSequence(done) ? "stop_sequence" : "end_turn";
  const content = (done: Completion): ContentBlock[] => {
    const calls: ContentBlock[] = done.toolCalls.map((c) => ({ type: "tool_use", id: toolUseId(task, c.index), name: c.name, input: toolInput(c) }));
    return done.text === "" && calls.length > 0 ? calls : [{ type: "text", text: done.text }, ...calls];
  };
  const message = (done: Completion | null): AnthropicMessage => ({
    id,
    type: "message",
    role: "assistant",
    model,
    content: done === null ? [] : content(done),
    stop_reason: done === null ? null : stopReason(done),
    stop_sequence: done === null ? null : stopSequence(done),
    // Before the end (message_start): the prompt's size as the worker announced it before the first token.
    usage: { input_tokens: done?.promptTokens ?? task.tokens_in ?? 0, output_tokens: done?.completionTokens ?? 0 },
  });
  const event = (type: string, data: Record<string, unknown> = {}) => sseNamed(type, { type, ...data });

  // The open block: its index in the message and what it holds (text, or the tool call of that index).
  let open: { index: number; kind: "text" } | { index: number; kind: "tool"; call: number } | null = null;
  let blocks = 0;
  const close = (): string[] => {
    if (open === null) return [];
    const frames = [event("content_block_stop", { index: open.index })];
    open = null;
    return frames;
  };
  const openText = (): string[] => {
    const frames = [...close(), event("content_block_start", { index: blocks, content_block: { type: "text", text: "" } })];
    open = { index: blocks++, kind: "text" };
    return frames;
  };
  // message_start goes out with the first output (or the end), not with the stream's head: by then the
  // worker has announced the prompt's size, which clients read from message_start's usage (LangChain's
  // ChatAnthropic takes input_tokens only from there); message_delta repeats the totals.
  let started = false;
  const start = (): string[] => {
    if (started) return [];
    started = true;
    return [event("message_start", { message: message(null) }), ...(withTools ? [] : openText()), event("ping")];
  };
  const stream: StreamRenderer = {
    framing: "sse",
    open: () => [],
    token(text, extra) {
      const delta = extra.tool_call;
      if (delta === undefined) {
        if (text === "" && withTools) return start();
        const frames = [...start(), ...(open?.kind === "text" ? [] : openText())];
        return [...frames, event("content_block_delta", { index: open?.index ?? 0, delta: { type: "text_delta", text } })];
      }
      const frames: string[] = start();
      if (open?.kind !== "tool" || open.call !== delta.index) {
        frames.push(...close());
        frames.push(event("content_block_start", { index: blocks, content_block: { type: "tool_use", id: toolUseId(task, delta.index), name: delta.name ?? "", input: {} } }));
        open = { index: blocks++, kind: "tool", call: delta.index };
      }
      if (delta.arguments !== "") frames.push(event("content_block_delta", { index: open.index, delta: { type: "input_json_delta", partial_json: delta.arguments } }));
      return frames;
    },
    end: (done) => [
      ...start(),
      // A message with tools that produced nothing still carries one (empty) text block.
      ...(blocks === 0 ? openText() : []),
      ...close(),
      event("message_delta", { delta: { stop_reason: stopReason(done), stop_sequence: stopSequence(done) }, usage: { input_tokens: done.promptTokens, output_tokens: done.completionTokens } }),
      event("message_stop"),
    ],
    fail: (failure) => [sseNamed("error", anthropicError(failure.status, failure.message, failure.code))],
  };
  return { stream, body: { body: (done) => message(done) } };
}
