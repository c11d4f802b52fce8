import { describe, expect, it } from "vitest";
import { rejectedPaths } from "../common/validation-issues.js";
import { ChatCompletionChunkSchema, ChatCompletionRequestSchema, ChatCompletionResponseSchema, chatMessageText } from "./chat-completions.js";
import { CompletionChunkSchema, CompletionRequestSchema, CompletionResponseSchema } from "./completions.js";
import { OpenAiErrorSchema, openAiErrorType } from "./openai-error.js";
import { OpenAiModelListSchema } from "./openai-models.js";
import { CHAT_COMPLETION_PARAMS, COMPLETION_PARAMS } from "./openai-params.js";
import { findRefusal } from "../compat/param-policy.js";

describe("OpenAI chat completions", () => {
  // What the official SDK sends, including keys we do not implement.
  const sdkRequest = {
    model: "tiny",
    messages: [{ role: "system", content: "Be brief." }, { role: "user", content: [{ type: "text", text: "Hi " }, { type: "text", text: "there" }] }],
    stream: true,
    stream_options: { include_usage: true },
    max_completion_tokens: 16,
    temperature: 0,
    stop: "\n",
    n: 1,
    logprobs: false,
    tools: [],
    user: "u1",
  };

  it("accepts an SDK request and keeps unknown keys", () => {
    const parsed = ChatCompletionRequestSchema.parse(sdkRequest);
    expect(parsed["tools"]).toEqual([]);
    expect(chatMessageText(parsed.messages[1]!)).toBe("Hi there");
    expect(ChatCompletionRequestSchema.safeParse({ model: "tiny", messages: [{ role: "user", content: "x" }], stop: ["a", "b"], max_tokens: null }).success).toBe(true);
  });

  it("rejects malformed requests at the offending field", () => {
    expect(rejectedPaths(ChatCompletionRequestSchema, { ...sdkRequest, n: 0 })).toEqual([["n"]]);
    // A turn without content, or a text part without text, was read as empty: the model answered nothing.
    expect(rejectedPaths(ChatCompletionRequestSchema, { ...sdkRequest, messages: [{ role: "user" }] })).toEqual([["messages", 0, "content"]]);
    expect(rejectedPaths(ChatCompletionRequestSchema, { ...sdkRequest, messages: [{ role: "system", content: null }, { role: "user", content: "x" }] })).toEqual([["messages", 0, "content"]]);
    expect(rejectedPaths(ChatCompletionRequestSchema, { ...sdkRequest, messages: [{ role: "user", content: [{ type: "text" }] }] })).toEqual([["messages", 0, "content", 0, "text"]]);
    expect(rejectedPaths(ChatCompletionRequestSchema, { ...sdkRequest, messages: [{ role: "user", content: [{ type: "text", text: 5 }] }] })).toEqual([["messages", 0, "content", 0, "text"]]);
    // An assistant turn that only made calls has no content, as OpenAI allows.
    const call = { id: "c1", type: "function", function: { name: "f", arguments: "{}" } };
    expect(rejectedPaths(ChatCompletionRequestSchema, { ...sdkRequest, messages: [{ role: "user", content: "x" }, { role: "assistant", tool_calls: [call] }, { role: "tool", tool_call_id: "c1", content: "1" }] })).toEqual([]);
    expect(rejectedPaths(ChatCompletionRequestSchema, { ...sdkRequest, messages: [] })).toEqual([["messages"]]);
    expect(rejectedPaths(ChatCompletionRequestSchema, { ...sdkRequest, messages: [{ role: "wizard", content: "x" }] })).toEqual([["messages", 0, "role"]]);
    const { model: _m, ...noModel } = sdkRequest;
    expect(rejectedPaths(ChatCompletionRequestSchema, noModel)).toEqual([["model"]]);
  });

  it("refuses what the worker would refuse unnamed: an empty stop string, an output limit above 50,000", () => {
    expect(rejectedPaths(ChatCompletionRequestSchema, { ...sdkRequest, stop: "" })).toEqual([["stop"]]);
    expect(rejectedPaths(ChatCompletionRequestSchema, { ...sdkRequest, stop: ["a", ""] })).toEqual([["stop", 1]]);
    expect(rejectedPaths(ChatCompletionRequestSchema, { ...sdkRequest, max_completion_tokens: 50_001 })).toEqual([["max_completion_tokens"]]);
    expect(rejectedPaths(ChatCompletionRequestSchema, { ...sdkRequest, max_tokens: 50_001 })).toEqual([["max_tokens"]]);
    expect(rejectedPaths(CompletionRequestSchema, { model: "tiny", prompt: "a", max_tokens: 50_001 })).toEqual([["max_tokens"]]);
    expect(rejectedPaths(ChatCompletionRequestSchema, { ...sdkRequest, max_completion_tokens: 50_000 })).toEqual([]);
  });

  // What parses but cannot be honoured is refused by name (not by schema path), so the client learns which parameter.
  it("refuses what the engine cannot serve by parameter name", () => {
    const refusal = (body: Record<string, unknown>) => findRefusal(CHAT_COMPLETION_PARAMS, ChatCompletionRequestSchema.parse(body));
    expect(refusal(sdkRequest)).toBeNull();
    expect(refusal({ ...sdkRequest, n: 2 })?.param).toBe("n");
    expect(refusal({ ...sdkRequest, messages: [{ role: "user", content: [{ type: "image_url", image_url: {} }] }] })).toMatchObject({ param: "messages[].content", message: expect.stringMatching(/^messages\[0\]\.content\[0\] \(image_url part\) is not supported: .*image/) });
    // Tools, structured output and logprobs are served (their values are checked by the adapter).
    expect(refusal({ ...sdkRequest, tools: [{ type: "function", function: { name: "f" } }], tool_choice: "auto", parallel_tool_calls: false })).toBeNull();
    expect(refusal({ ...sdkRequest, response_format: { type: "json_object" } })).toBeNull();
    expect(refusal({ ...sdkRequest, response_format: { type: "text" } })).toBeNull();
    expect(refusal({ ...sdkRequest, logprobs: true, top_logprobs: 2 })).toBeNull();
    expect(refusal({ ...sdkRequest, messages: [{ role: "user", content: "x" }, { role: "assistant", tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "{}" } }] }, { role: "tool", tool_call_id: "c", content: "1" }] })).toBeNull();
    // The deprecated function-calling API is not.
    expect(refusal({ ...sdkRequest, functions: [{ name: "f" }] })?.param).toBe("functions");
    expect(refusal({ ...sdkRequest, messages: [{ role: "function", name: "f", content: "1" }] })?.param).toBe("messages[].role");
    expect(refusal({ ...sdkRequest, frobnicate: 1 })).toMatchObject({ param: "frobnicate", message: expect.stringMatching(/^frobnicate is not supported/) });
    const completion = (body: Record<string, unknown>) => findRefusal(COMPLETION_PARAMS, CompletionRequestSchema.parse(body));
    expect(completion({ model: "tiny", prompt: ["one"] })).toBeNull();
    expect(completion({ model: "tiny", prompt: ["a", "b"] })?.param).toBe("prompt");
    expect(completion({ model: "tiny", prompt: [1, 2] })?.param).toBe("prompt");
    expect(completion({ model: "tiny", prompt: "x", echo: true })?.param).toBe("echo");
  });

  it("validates response and chunk shapes", () => {
    const response = {
      id: "chatcmpl-1", object: "chat.completion", created: 1700000000, model: "tiny",
      choices: [{ index: 0, message: { role: "assistant", content: "Hello" }, finish_reason: "stop", logprobs: null }],
      usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 },
    };
    expect(ChatCompletionResponseSchema.safeParse(response).success).toBe(true);
    expect(rejectedPaths(ChatCompletionResponseSchema, { ...response, object: "chat.completion.chunk" })).toEqual([["object"]]);
    const chunk = { id: "chatcmpl-1", object: "chat.completion.chunk", created: 1700000000, model: "tiny", choices: [{ index: 0, delta: { content: "He" }, finish_reason: null }] };
    expect(ChatCompletionChunkSchema.safeParse(chunk).success).toBe(true);
    expect(ChatCompletionChunkSchema.safeParse({ ...chunk, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "f", arguments: "{" } }] }, finish_reason: "tool_calls" }] }).success).toBe(true);
    expect(rejectedPaths(ChatCompletionChunkSchema, { ...chunk, choices: [{ index: 0, delta: {}, finish_reason: "content_filter" }] })).toEqual([["choices", 0, "finish_reason"]]);
  });
});

describe("stop strings", () => {
  it("takes up to 64 (code-completion clients send a dozen or more; 16 refused them) and names stop past it, on every surface's schema", async () => {
    const { AnthropicMessagesRequestSchema } = await import("../anthropic/messages.js");
    const { WorkerInferRequestSchema } = await import("../worker-api/worker-infer.js");
    const stops = (n: number) => Array.from({ length: n }, (_, i) => `<stop${i}>`);
    const chat = (n: number) => ({ model: "m", messages: [{ role: "user", content: "x" }], stop: stops(n) });
    expect(ChatCompletionRequestSchema.safeParse(chat(64)).success).toBe(true);
    expect(rejectedPaths(ChatCompletionRequestSchema, chat(65))).toEqual([["stop"]]);
    expect(AnthropicMessagesRequestSchema.safeParse({ model: "m", max_tokens: 4, messages: [{ role: "user", content: "x" }], stop_sequences: stops(64) }).success).toBe(true);
    expect(WorkerInferRequestSchema.safeParse({ task_id: "t", prompt: "x", max_tokens: 4, stop: stops(64) }).success).toBe(true);
  });
});

describe("OpenAI completions, models and errors", () => {
  it("parses completion requests; an empty prompt array is malformed", () => {
    expect(CompletionRequestSchema.safeParse({ model: "tiny", prompt: "Once", max_tokens: 8, stream: false }).success).toBe(true);
    expect(CompletionRequestSchema.safeParse({ model: "tiny", prompt: ["Once"] }).success).toBe(true);
    expect(rejectedPaths(CompletionRequestSchema, { model: "tiny", prompt: [] })).toEqual([["prompt"]]);
    const response = { id: "cmpl-1", object: "text_completion", created: 1, model: "tiny", choices: [{ index: 0, text: "upon", finish_reason: "length", logprobs: null }] };
    expect(CompletionResponseSchema.safeParse(response).success).toBe(true);
    expect(CompletionChunkSchema.safeParse({ ...response, choices: [{ index: 0, text: "up", finish_reason: null, logprobs: null }], usage: null }).success).toBe(true);
  });

  it("validates the model list and error shapes", () => {
    expect(OpenAiModelListSchema.safeParse({ object: "list", data: [{ id: "tiny", object: "model", created: 1700000000, owned_by: "llama-orch" }] }).success).toBe(true);
    expect(rejectedPaths(OpenAiModelListSchema, { object: "list", data: [{ id: "tiny", object: "engine", created: 0, owned_by: "x" }] })).toEqual([["data", 0, "object"]]);
    expect(OpenAiErrorSchema.safeParse({ error: { message: "bad", type: "invalid_request_error", param: "model", code: "MODEL_NOT_FOUND" } }).success).toBe(true);
    expect(rejectedPaths(OpenAiErrorSchema, { error: { message: "bad", type: "x" } })).toEqual([["error", "param"], ["error", "code"]]);
  });

  it("maps statuses to the error types the SDKs recognise", () => {
    expect(openAiErrorType(400)).toBe("invalid_request_error");
    expect(openAiErrorType(401)).toBe("authentication_error");
    expect(openAiErrorType(404)).toBe("not_found_error");
    expect(openAiErrorType(429)).toBe("rate_limit_error");
    expect(openAiErrorType(503)).toBe("server_error");
  });
});
