import { describe, expect, it } from "vitest";
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
