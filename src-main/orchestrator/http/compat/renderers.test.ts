import { describe, expect, it } from "vitest";
import { SseParser } from "../../../../src-shared/streaming/sse-codec.js";
import type { Task } from "../../tasks/task.js";
import { anthropicRenderers } from "./anthropic-renderer.js";
import { openAiRenderers } from "./openai-renderer.js";
import { ollamaRenderers } from "./ollama-renderer.js";
import { responsesRenderers } from "./responses-renderer.js";
import type { Completion, StreamRenderer } from "./surface-renderer.js";

// Endings the integration tests cannot force from a random tiny model: a natural end of turn, a stop
// sequence, a failure.
const task = { task_id: "0b7c9a52-3f7e-4c1e-9a55-7f3c2e1d0a11", model: { id: "tiny" }, generation: { max_tokens: 8 }, enqueued_at_ms: 0, started_at_ms: 1, first_token_at_ms: 2, finished_at_ms: 3 } as unknown as Task;
const done = (reason: Completion["reason"]): Completion => ({ task, text: "Hello", reason, contextFull: false, promptTokens: 4, completionTokens: 1, toolCalls: [], logprobs: undefined, embeddings: [], scores: [] });
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

describe("Responses renderer with include message.output_text.logprobs", () => {
  const lp = (token: string, logprob: number) => ({ token, logprob, bytes: [...Buffer.from(token, "utf8")], top_logprobs: [{ token, logprob, bytes: [...Buffer.from(token, "utf8")] }, { token: "x", logprob: -3, bytes: [120] }] });
  const req = { model: "tiny", input: "hi", include: ["message.output_text.logprobs"], top_logprobs: 2 };
  const tokens = [lp("Hel", -0.5), lp("lo", -0.25)];

  it("streamed: each delta carries its tokens without bytes (the event shape); output_text.done, the parts and the final object carry all of them", () => {
    const { stream } = responsesRenderers(task, req);
    const out = new SseParser().feed([...stream.open(), ...stream.token("Hel", { logprobs: [tokens[0]!] }), ...stream.token("lo", { logprobs: [tokens[1]!] }), ...stream.end({ ...done("eos"), logprobs: tokens })].join(""));
    const data = out.map((f) => JSON.parse(f.data) as Record<string, unknown>);
    const byType = (type: string) => data.filter((d) => d.type === type);
    expect(byType("response.output_text.delta").map((d) => d.logprobs)).toEqual([
      [{ token: "Hel", logprob: -0.5, top_logprobs: [{ token: "Hel", logprob: -0.5 }, { token: "x", logprob: -3 }] }],
      [{ token: "lo", logprob: -0.25, top_logprobs: [{ token: "lo", logprob: -0.25 }, { token: "x", logprob: -3 }] }],
    ]);
    expect(byType("response.output_text.done")[0]).toMatchObject({ text: "Hello", logprobs: [{ token: "Hel" }, { token: "lo" }] });
    expect(byType("response.content_part.added")[0]).toMatchObject({ part: { type: "output_text", text: "", logprobs: [] } });
    expect(byType("response.content_part.done")[0]).toMatchObject({ part: { text: "Hello", logprobs: tokens } });
    expect(byType("response.completed")[0]).toMatchObject({ response: { top_logprobs: 2, output: [{ content: [{ text: "Hello", logprobs: tokens }] }] } });
  });

  it("non-stream: the output_text part carries every token with bytes and alternatives", () => {
    expect(responsesRenderers(task, req).body.body({ ...done("eos"), logprobs: tokens })).toMatchObject({ top_logprobs: 2, output: [{ content: [{ type: "output_text", text: "Hello", logprobs: tokens }] }] });
  });

  it("without the include: logprobs are [] everywhere (as OpenAI sends them), whatever the task delivered", () => {
    const { stream, body } = responsesRenderers(task, { model: "tiny", input: "hi", top_logprobs: 2 });
    const out = new SseParser().feed([...stream.open(), ...stream.token("Hello", { logprobs: tokens }), ...stream.end({ ...done("eos"), logprobs: tokens })].join(""));
    for (const f of out.filter((f) => f.event === "response.output_text.delta" || f.event === "response.output_text.done")) expect(JSON.parse(f.data)).toMatchObject({ logprobs: [] });
    expect(body.body({ ...done("eos"), logprobs: tokens })).toMatchObject({ top_logprobs: 2, output: [{ content: [{ text: "Hello", logprobs: [] }] }] });
  });
});

describe("Responses renderer with tools", () => {
  const req = { model: "tiny", input: "hi", tools: [{ type: "function" as const, name: "f", parameters: { type: "object" } }] };
  const called: Completion = { ...done("tool_calls"), text: "Hi", toolCalls: [{ index: 0, name: "f", arguments: "{\"a\":1}" }] };

  it("text then a call: the message item closes before the function_call item opens, and the final object lists both in that order", () => {
    const { stream } = responsesRenderers(task, req);
    const out = new SseParser().feed([...stream.open(), ...stream.token("Hi", {}), ...stream.token("", { tool_call: { index: 0, name: "f", arguments: "{\"a\"" } }), ...stream.token("", { tool_call: { index: 0, arguments: ":1}" } }), ...stream.end(called)].join(""));
    expect(out.map((f) => f.event)).toEqual([
      "response.created", "response.in_progress",
      "response.output_item.added", "response.content_part.added", "response.output_text.delta", "response.output_text.done", "response.content_part.done", "response.output_item.done",
      "response.output_item.added", "response.function_call_arguments.delta", "response.function_call_arguments.delta", "response.function_call_arguments.done", "response.output_item.done",
      "response.completed",
    ]);
    const data = out.map((f) => JSON.parse(f.data) as Record<string, unknown>);
    expect(data[8]).toMatchObject({ output_index: 1, item: { type: "function_call", name: "f", arguments: "", status: "in_progress" } });
    expect(data[11]).toMatchObject({ output_index: 1, name: "f", arguments: "{\"a\":1}" });
    expect(data.at(-1)).toMatchObject({ response: { status: "completed", output: [{ type: "message", content: [{ text: "Hi" }] }, { type: "function_call", call_id: expect.stringMatching(/^call_/), arguments: "{\"a\":1}", status: "completed" }] } });
    expect(data.map((d) => d.sequence_number)).toEqual(data.map((_, i) => i));
  });

  it("non-stream: the message, then the calls with call_id; a call alone has no empty message", () => {
    const { body } = responsesRenderers(task, req);
    expect(body.body(called)).toMatchObject({ output: [{ type: "message" }, { type: "function_call", name: "f" }], tools: [{ type: "function", name: "f", strict: null }], tool_choice: "auto" });
    expect((body.body({ ...called, text: "" }) as { output: unknown[] }).output).toEqual([expect.objectContaining({ type: "function_call", id: expect.stringMatching(/^fc_/) })]);
  });
});

describe("Anthropic renderer", () => {
  it("maps end of turn and stop sequences, naming the sequence only when it is the only one", () => {
    const one = anthropicRenderers(task, { model: "tiny", max_tokens: 8, messages: [{ role: "user", content: "hi" }], stop_sequences: ["\n"] }).body;
    expect(one.body(done("eos"))).toMatchObject({ stop_reason: "end_turn", stop_sequence: null });
    expect(one.body(done("stop"))).toMatchObject({ stop_reason: "stop_sequence", stop_sequence: "\n" });
    const two = anthropicRenderers(task, { model: "tiny", max_tokens: 8, messages: [{ role: "user", content: "hi" }], stop_sequences: ["a", "b"] }).body;
    expect(two.body(done("stop"))).toMatchObject({ stop_reason: "stop_sequence", stop_sequence: null });
    expect(two.body({ ...done("stop"), stopSequence: "b" })).toMatchObject({ stop_reason: "stop_sequence", stop_sequence: "b" });
  });

  it("a stop no stop sequence made (output_config.format's grammar completed) is end_turn, streamed or not", () => {
    const structured = { ...task, generation: { ...task.generation, format: { type: "json_schema", schema: { type: "object" } } } } as Task;
    const req = { model: "tiny", max_tokens: 8, messages: [{ role: "user" as const, content: "hi" }], stop_sequences: ["\n"] };
    expect(anthropicRenderers(structured, req).body.body(done("stop"))).toMatchObject({ stop_reason: "end_turn", stop_sequence: null });
    expect(anthropicRenderers(task, { model: "tiny", max_tokens: 8, messages: [{ role: "user", content: "hi" }] }).body.body(done("stop"))).toMatchObject({ stop_reason: "end_turn", stop_sequence: null });
    const delta = frames(anthropicRenderers(structured, req).stream, done("stop")).find((f) => f.event === "message_delta");
    expect(JSON.parse(delta?.data ?? "{}")).toMatchObject({ delta: { stop_reason: "end_turn", stop_sequence: null } });
  });

  it("streams a failure as an error event in Anthropic's shape", () => {
    const out = frames(anthropicRenderers(task, { model: "tiny", max_tokens: 8, messages: [{ role: "user", content: "hi" }] }).stream, null);
    expect(out.at(-1)).toEqual({ event: "error", data: JSON.stringify({ type: "error", error: { type: "invalid_request_error", message: "canceled by an operator" } }) });
  });
});

// A task with tools whose model wrote a little text, then one call streamed in two fragments.
const toolTask = { ...task, generation: { max_tokens: 8, tools: [{ name: "get_time" }] } } as unknown as Task;
const called: Completion = { ...done("tool_calls"), text: "Hi", toolCalls: [{ index: 0, name: "get_time", arguments: '{"utc":true}' }] };
const toolTokens = (s: StreamRenderer) => [...s.open(), ...s.token("Hi", {}), ...s.token("", { tool_call: { index: 0, name: "get_time", arguments: '{"utc":' } }), ...s.token("", { tool_call: { index: 0, arguments: "true}" } }), ...s.end(called)];

describe("Anthropic renderer, tool use", () => {
  it("a text block, then a tool_use block streamed as input_json_delta fragments; stop_reason tool_use", () => {
    const out = new SseParser().feed(toolTokens(anthropicRenderers(toolTask, { model: "tiny", max_tokens: 8, messages: [{ role: "user", content: "hi" }] }).stream).join(""));
    expect(out.map((f) => f.event)).toEqual(["message_start", "ping", "content_block_start", "content_block_delta", "content_block_stop", "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop", "message_delta", "message_stop"]);
    const data = out.map((f) => JSON.parse(f.data) as Record<string, unknown>);
    expect(data[5]).toEqual({ type: "content_block_start", index: 1, content_block: { type: "tool_use", id: "toolu_0b7c9a523f7e4c1e9a557f3c2e1d0a11_0", name: "get_time", input: {} } });
    expect(data[7]).toEqual({ type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: "true}" } });
    expect(data[9]).toMatchObject({ delta: { stop_reason: "tool_use" } });
  });

  it("the body carries the text and the tool_use block with its input object", () => {
    const body = anthropicRenderers(toolTask, { model: "tiny", max_tokens: 8, messages: [{ role: "user", content: "hi" }] }).body.body(called);
    expect(body).toMatchObject({ stop_reason: "tool_use", content: [{ type: "text", text: "Hi" }, { type: "tool_use", id: "toolu_0b7c9a523f7e4c1e9a557f3c2e1d0a11_0", name: "get_time", input: { utc: true } }] });
  });
});

describe("Ollama renderer, tool calls", () => {
  it("streams the whole call in one line before the done line; the body carries it", () => {
    const { stream, body } = ollamaRenderers("chat", "tiny:latest", toolTask);
    const lines = toolTokens(stream).map((l) => JSON.parse(l) as { message: { content: string; tool_calls?: unknown }; done: boolean });
    expect(lines.map((l) => [l.message.content, l.done])).toEqual([["Hi", false], ["", false], ["", true]]);
    const call = { id: "call_0b7c9a523f7e4c1e9a557f3c2e1d0a11_0", function: { index: 0, name: "get_time", arguments: { utc: true } } };
    expect(lines[1]?.message.tool_calls).toEqual([call]);
    expect(body.body(called)).toMatchObject({ done: true, done_reason: "stop", message: { content: "Hi", tool_calls: [call] } });
  });
});

describe("Ollama renderer", () => {
  it("ends with done_reason stop and a failure with an {error} line", () => {
    const { stream, body } = ollamaRenderers("chat", "tiny:latest", task);
    expect(body.body(done("eos"))).toMatchObject({ model: "tiny:latest", done: true, done_reason: "stop", message: { role: "assistant", content: "Hello" }, eval_count: 1, prompt_eval_count: 4 });
    expect(stream.fail({ code: "WORKER_RESET", message: "worker gone", status: 500 })).toEqual([`${JSON.stringify({ error: "worker gone" })}\n`]);
  });
});

describe("Ollama renderer timings", () => {
  it("a generation within one millisecond tick reports 1 ms, not 0 (clients divide eval_count by eval_duration)", () => {
    const sameTick = { ...task, started_at_ms: 5, first_token_at_ms: 5, finished_at_ms: 5, enqueued_at_ms: 5 } as unknown as Task;
    const line = ollamaRenderers("generate", "tiny:latest", sameTick).body.body({ ...done("length"), task: sameTick, completionTokens: 2 }) as Record<string, number>;
    expect(line.eval_count).toBe(2);
    expect(line.eval_duration).toBe(1_000_000);
    expect(line.prompt_eval_duration).toBe(1_000_000);
    expect(line.total_duration).toBeGreaterThanOrEqual((line.prompt_eval_duration ?? 0) + (line.eval_duration ?? 0));
  });

  it("no generated token: eval_duration stays what the clock says", () => {
    const sameTick = { ...task, started_at_ms: 5, first_token_at_ms: 5, finished_at_ms: 5, enqueued_at_ms: 5 } as unknown as Task;
    const line = ollamaRenderers("generate", "tiny:latest", sameTick).body.body({ ...done("length"), task: sameTick, completionTokens: 0 }) as Record<string, number>;
    expect(line.eval_duration).toBe(0);
  });
});

describe("OpenAI stream renderer, plain text tokens", () => {
  const texts = ["Hello", " wörld", "\"quoted\"", "line\nbreak", "\u2028 sep", "", "\\", "😀"];

  it("writes every plain completion token byte for byte as the serialised chunk object", () => {
    const { stream } = openAiRenderers("completion", task, false);
    for (const text of texts) {
      const created = JSON.parse((stream.token(text, {})[0] ?? "").slice(6)) as { created: number };
      const expected = { id: `cmpl-${task.task_id}`, object: "text_completion", created: created.created, model: "tiny", choices: [{ index: 0, text, finish_reason: null, logprobs: null }] };
      expect(stream.token(text, {})).toEqual([`data: ${JSON.stringify(expected)}\n\n`]);
    }
  });

  it("writes chat tokens after the first (which carries the role) byte for byte as the serialised chunk object", () => {
    const { stream } = openAiRenderers("chat", task, false);
    const [opening] = stream.token("Hi", {});
    const head = JSON.parse((opening ?? "").slice(6)) as { created: number; choices: unknown[] };
    expect(head.choices).toEqual([{ index: 0, delta: { role: "assistant", content: "Hi" }, finish_reason: null, logprobs: null }]);
    for (const text of texts) {
      const expected = { id: `chatcmpl-${task.task_id}`, object: "chat.completion.chunk", created: head.created, model: "tiny", choices: [{ index: 0, delta: { content: text }, finish_reason: null, logprobs: null }] };
      expect(stream.token(text, {})).toEqual([`data: ${JSON.stringify(expected)}\n\n`]);
    }
  });
});
