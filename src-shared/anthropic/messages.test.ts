import { describe, expect, it } from "vitest";
import { validationIssues } from "../common/validation-issues.js";
import { findRefusal } from "../compat/param-policy.js";
import { MESSAGES_PARAMS } from "./messages-params.js";
import { AnthropicMessagesRequestSchema } from "./messages.js";

const base = { model: "m", max_tokens: 3, messages: [{ role: "user", content: "hi" }] };

describe("AnthropicMessagesRequestSchema tools", () => {
  it("says why a server tool (no input_schema) is refused, at its path", () => {
    const parsed = AnthropicMessagesRequestSchema.safeParse({ ...base, tools: [{ type: "web_search_20250305", name: "web_search", max_uses: 1 }] });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(["tools", 0, "input_schema"]);
    expect(parsed.error?.issues[0]?.message).toMatch(/client tool needs input_schema.*server tools .* not offered here/);
  });

  it("accepts a client tool", () => {
    expect(AnthropicMessagesRequestSchema.safeParse({ ...base, tools: [{ name: "f", input_schema: { type: "object", properties: {} } }] }).success).toBe(true);
  });
});

/** The first issue of a refused body as the API reports it: path and message. */
function firstIssue(body: unknown): { path: (string | number)[]; message: string } | undefined {
  const parsed = AnthropicMessagesRequestSchema.safeParse(body);
  return parsed.success ? undefined : validationIssues(parsed.error)[0];
}

const call = { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "f", input: {} }] };
const result = (block: Record<string, unknown>) => ({ ...base, messages: [{ role: "user", content: "w?" }, call, { role: "user", content: [{ type: "tool_result", tool_use_id: "t1", ...block }] }] });

describe("AnthropicMessagesRequestSchema content blocks", () => {
  it("a tool_result whose content is not a string or blocks is refused at that field (it was a 500)", () => {
    for (const content of [5, true, {}, { type: "text", text: "x" }]) expect(firstIssue(result({ content }))?.path).toEqual(["messages", 2, "content", 0, "content"]);
    expect(firstIssue(result({ content: [null] }))?.path).toEqual(["messages", 2, "content", 0, "content", 0]);
  });

  it("a block of a known type must have its shape: text that is not a string, a tool_use input that is not an object, is_error that is not a boolean", () => {
    expect(firstIssue({ ...base, messages: [{ role: "user", content: [{ type: "text", text: 5 }] }] })).toMatchObject({ path: ["messages", 0, "content", 0, "text"] });
    expect(firstIssue({ ...base, system: [{ type: "text" }] })).toMatchObject({ path: ["system", 0, "text"], message: "Field required (expected string)" });
    expect(firstIssue({ ...base, messages: [{ role: "user", content: "w?" }, { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "f", input: "{\"a\":1}" }] }] })).toEqual({ path: ["messages", 1, "content", 0, "input"], message: "Invalid input: expected object, received string" });
    expect(firstIssue({ ...base, messages: [{ role: "user", content: "w?" }, { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "f" }] }] })).toEqual({ path: ["messages", 1, "content", 0, "input"], message: "Field required (expected object)" });
    expect(firstIssue(result({ content: "x", is_error: "yes" }))?.path).toEqual(["messages", 2, "content", 0, "is_error"]);
    expect(firstIssue(result({ content: [{ type: "text", text: 5 }] }))?.path).toEqual(["messages", 2, "content", 0, "content", 0, "text"]);
  });

  it("blocks of other types pass the schema and are refused by name, with their place", () => {
    const body = { ...base, messages: [{ role: "user", content: "a" }, { role: "assistant", content: "b" }, { role: "user", content: [{ type: "text", text: "see" }, { type: "image", source: { type: "base64", media_type: "image/png", data: "AAAA" } }] }] };
    expect(AnthropicMessagesRequestSchema.safeParse(body).success).toBe(true);
    expect(findRefusal(MESSAGES_PARAMS, body)).toMatchObject({ param: "messages[].content", message: expect.stringMatching(/^messages\[2\]\.content\[1\] \(image block\) is not supported: /) as unknown });
    expect(findRefusal(MESSAGES_PARAMS, { ...base, system: [{ type: "thinking", thinking: "x" }] })?.message).toMatch(/^system\[0\] \(thinking block\) is not supported/);
  });

  it("keys the API does not define are refused in tools, tool_choice and metadata; the hints it defines pass", () => {
    const tool = { name: "a", input_schema: { type: "object" } };
    expect(firstIssue({ ...base, tools: [{ ...tool, foo: 1 }] })?.path).toEqual(["tools", 0]);
    expect(firstIssue({ ...base, tool_choice: { type: "auto", foo: 1 } })?.message).toMatch(/foo/);
    expect(firstIssue({ ...base, metadata: { foo: 1 } })?.message).toMatch(/foo/);
    expect(firstIssue({ ...base, cache_control: "garbage" })?.path).toEqual(["cache_control"]);
    expect(firstIssue({ ...base, tools: [{ ...tool, defer_loading: true }] })?.message).toMatch(/no tool search/);
    expect(firstIssue({ ...base, tools: [{ ...tool, input_examples: [{ x: 1 }] }] })?.path).toEqual(["tools", 0, "input_examples"]);
    const hinted = { ...tool, type: "custom", cache_control: { type: "ephemeral" }, eager_input_streaming: true, defer_loading: false, allowed_callers: ["direct"], strict: false, description: "d" };
    expect(AnthropicMessagesRequestSchema.safeParse({ ...base, tools: [hinted], tool_choice: { type: "tool", name: "a", disable_parallel_tool_use: true }, metadata: { user_id: "u" }, cache_control: { type: "ephemeral" } }).success).toBe(true);
  });
});
