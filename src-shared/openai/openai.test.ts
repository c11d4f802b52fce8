import { describe, expect, it } from "vitest";
import { rejectedPaths } from "../common/validation-issues.js";
import { ChatCompletionChunkSchema, ChatCompletionRequestSchema, ChatCompletionResponseSchema, chatMessageText } from "./chat-completions.js";
import { CompletionChunkSchema, CompletionRequestSchema, CompletionResponseSchema } from "./completions.js";
import { OpenAiErrorSchema, openAiErrorType } from "./openai-error.js";
import { OpenAiModelListSchema } from "./openai-models.js";

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

  it("rejects what we cannot serve at the offending field", () => {
    expect(rejectedPaths(ChatCompletionRequestSchema, { ...sdkRequest, n: 2 })).toEqual([["n"]]);
    expect(rejectedPaths(ChatCompletionRequestSchema, { ...sdkRequest, messages: [] })).toEqual([["messages"]]);
    expect(rejectedPaths(ChatCompletionRequestSchema, { ...sdkRequest, messages: [{ role: "wizard", content: "x" }] })).toEqual([["messages", 0, "role"]]);
    expect(rejectedPaths(ChatCompletionRequestSchema, { ...sdkRequest, messages: [{ role: "user", content: [{ type: "image_url", image_url: {} }] }] })).toEqual([["messages", 0, "content"]]);
    const { model: _m, ...noModel } = sdkRequest;
    expect(rejectedPaths(ChatCompletionRequestSchema, noModel)).toEqual([["model"]]);
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
    expect(rejectedPaths(ChatCompletionChunkSchema, { ...chunk, choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" }] })).toEqual([["choices", 0, "finish_reason"]]);
  });
});

describe("OpenAI completions, models and errors", () => {
  it("accepts a completion request with one prompt only", () => {
    expect(CompletionRequestSchema.safeParse({ model: "tiny", prompt: "Once", max_tokens: 8, stream: false }).success).toBe(true);
    expect(CompletionRequestSchema.safeParse({ model: "tiny", prompt: ["Once"] }).success).toBe(true);
    expect(rejectedPaths(CompletionRequestSchema, { model: "tiny", prompt: ["a", "b"] })).toEqual([["prompt"]]);
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
