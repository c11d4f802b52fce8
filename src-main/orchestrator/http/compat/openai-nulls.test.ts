import { describe, expect, it } from "vitest";
import { ChatCompletionRequestSchema } from "../../../../src-shared/openai/chat-completions.js";
import { CompletionRequestSchema } from "../../../../src-shared/openai/completions.js";
import { chatAdmission, completionAdmission } from "./openai-mapping.js";

// OpenAI's API reads an explicit null as "not set"; LiteLLM and hand-written clients send them. Every
// optional parameter the schemas know must then map exactly as if it were absent (never a 400).
const CHAT_NULLABLE = ["stream", "max_tokens", "temperature", "top_p", "seed", "top_k", "stop", "n", "user", "stream_options", "max_completion_tokens", "tools", "tool_choice", "parallel_tool_calls", "response_format", "logprobs", "top_logprobs"];
const COMPLETION_NULLABLE = ["stream", "max_tokens", "temperature", "top_p", "seed", "top_k", "stop", "n", "user", "stream_options", "echo", "logprobs"];

describe("explicit nulls in OpenAI requests", () => {
  it("chat: every optional parameter as null maps like the request without it", () => {
    const base = { model: "m", messages: [{ role: "user", content: "hi" }] };
    const withNulls = { ...base, ...Object.fromEntries(CHAT_NULLABLE.map((k) => [k, null])) };
    const parsed = ChatCompletionRequestSchema.safeParse(withNulls);
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
    expect(chatAdmission(ChatCompletionRequestSchema.parse(withNulls))).toEqual(chatAdmission(ChatCompletionRequestSchema.parse(base)));
    // Every optional key of the schema is in the list, so a new parameter cannot skip this test.
    const optional = Object.keys(ChatCompletionRequestSchema.shape).filter((k) => k !== "model" && k !== "messages");
    expect(optional.sort()).toEqual([...CHAT_NULLABLE].sort());
  });

  it("completions: every optional parameter as null maps like the request without it", () => {
    const base = { model: "m", prompt: "Once" };
    const withNulls = { ...base, ...Object.fromEntries(COMPLETION_NULLABLE.map((k) => [k, null])) };
    const parsed = CompletionRequestSchema.safeParse(withNulls);
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
    expect(completionAdmission(CompletionRequestSchema.parse(withNulls))).toEqual(completionAdmission(CompletionRequestSchema.parse(base)));
    const optional = Object.keys(CompletionRequestSchema.shape).filter((k) => k !== "model" && k !== "prompt");
    expect(optional.sort()).toEqual([...COMPLETION_NULLABLE].sort());
  });
});
