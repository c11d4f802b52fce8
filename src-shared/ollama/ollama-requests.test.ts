import { describe, expect, it } from "vitest";
import { OllamaChatRequestSchema } from "./ollama-requests.js";
import { dropNullFields } from "./ollama-null-fields.js";

describe("OllamaChatRequestSchema, as Ollama's Go structs read a body", () => {
  it("a turn without content (ollama-python drops an empty one: an assistant turn that only calls tools) reads as empty content", () => {
    const body = { model: "m", messages: [{ role: "user", content: "hi" }, { role: "assistant", tool_calls: [{ function: { name: "f", arguments: { a: 1 } } }] }, { role: "tool", content: "42", tool_name: "f" }] };
    expect(OllamaChatRequestSchema.parse(body).messages?.[1]).toMatchObject({ role: "assistant", content: "", tool_calls: [{ function: { name: "f" } }] });
    const nulled = dropNullFields({ ...body, messages: [{ role: "user", content: null }] });
    expect(OllamaChatRequestSchema.parse(nulled).messages?.[0]?.content).toBe("");
  });

  it("a tool without a type is a function (the only kind Ollama has); another type is refused", () => {
    const tool = { function: { name: "f", parameters: { type: "object" } } };
    expect(OllamaChatRequestSchema.parse({ model: "m", messages: [{ role: "user", content: "hi" }], tools: [tool] }).tools?.[0]?.type).toBe("function");
    expect(OllamaChatRequestSchema.safeParse({ model: "m", messages: [{ role: "user", content: "hi" }], tools: [{ ...tool, type: "web_search" }] }).success).toBe(false);
  });
});
