import { describe, expect, it } from "vitest";
import { SseParser } from "../../../../src-shared/streaming/sse-codec.js";
import type { Task } from "../../tasks/task.js";
import { anthropicRenderers } from "./anthropic-renderer.js";
import { ollamaRenderers } from "./ollama-renderer.js";
import { responsesRenderers } from "./responses-renderer.js";
import type { Completion, StreamRenderer } from "./surface-renderer.js";

// Endings the integration tests cannot force from a random tiny model: a natural end of turn, a stop
// sequence, a failure.
const task = { task_id: "0b7c9a52-3f7e-4c1e-9a55-7f3c2e1d0a11", model: { id: "tiny" }, enqueued_at_ms: 0, started_at_ms: 1, first_token_at_ms: 2, finished_at_ms: 3 } as unknown as Task;
const done = (reason: Completion["reason"]): Completion => ({ task, text: "Hello", reason, promptTokens: 4, completionTokens: 1, toolCalls: [], logprobs: undefined, embeddings: [] });
const frames = (s: StreamRenderer, end: Completion | null) => new SseParser().feed([...s.open(), ...s.token("Hello", {}), ...(end === null ? s.fail({ code: "CANCELED", message: "canceled by an operator", status: 499 }) : s.end(end))].join(""));

describe("Responses renderer", () => {
  it("ends a natural stop with response.completed and a completed object", () => {
    const { stream, body } = responsesRenderers(task, { model: "tiny", input: "hi" });
    expect(frames(stream, done("eos")).map((f) => f.event).slice(-2)).toEqual(["response.output_item.done", "response.completed"]);
    expect(body.body(done("eos"))).toMatchObject({ status: "completed", incomplete_details: null, output: [{ type: "message", status: "completed", content: [{ type: "output_text", text: "Hello" }] }] });
  });

  it("fails with response.failed, then an error event carrying `error` (the SDKs raise on it)", () => {
    const out = frames(responsesRenderers(task, { model: "tiny", input: "hi" }).stream, null);
    expect(out.map((f) => f.event).slice(-2)).toEqual(["response.failed", "error"]);
    expect(JSON.parse(out.at(-1)?.data ?? "{}")).toMatchObject({ type: "error", code: "CANCELED", error: { code: "CANCELED", message: "canceled by an operator" } });
  });
});

describe("Anthropic renderer", () => {
  it("maps end of turn and stop sequences, naming the sequence only when it is the only one", () => {
    const one = anthropicRenderers(task, { model: "tiny", max_tokens: 8, messages: [{ role: "user", content: "hi" }], stop_sequences: ["\n"] }).body;
    expect(one.body(done("eos"))).toMatchObject({ stop_reason: "end_turn", stop_sequence: null });
    expect(one.body(done("stop"))).toMatchObject({ stop_reason: "stop_sequence", stop_sequence: "\n" });
    const two = anthropicRenderers(task, { model: "tiny", max_tokens: 8, messages: [{ role: "user", content: "hi" }], stop_sequences: ["a", "b"] }).body;
    expect(two.body(done("stop"))).toMatchObject({ stop_reason: "stop_sequence", stop_sequence: null });
  });

  it("streams a failure as an error event in Anthropic's shape", () => {
    const out = frames(anthropicRenderers(task, { model: "tiny", max_tokens: 8, messages: [{ role: "user", content: "hi" }] }).stream, null);
    expect(out.at(-1)).toEqual({ event: "error", data: JSON.stringify({ type: "error", error: { type: "invalid_request_error", message: "canceled by an operator" } }) });
  });
});

describe("Ollama renderer", () => {
  it("ends with done_reason stop and a failure with an {error} line", () => {
    const { stream, body } = ollamaRenderers("chat", "tiny:latest");
    expect(body.body(done("eos"))).toMatchObject({ model: "tiny:latest", done: true, done_reason: "stop", message: { role: "assistant", content: "Hello" }, eval_count: 1, prompt_eval_count: 4 });
    expect(stream.fail({ code: "WORKER_RESET", message: "worker gone", status: 500 })).toEqual([`${JSON.stringify({ error: "worker gone" })}\n`]);
  });
});
