import type { LlamaGrammar } from "node-llama-cpp";
import { describe, expect, it } from "vitest";
import { getTestLlama } from "../../test-support/llama.js";
import { boundGrammarNumbers } from "./schema-grammar.js";

// The rule as node-llama-cpp 3.21.1 writes it for any JSON integer, function parameters included.
const UNBOUNDED = 'root ::= integer-number-rule\ninteger-number-rule ::= "-"? ("0" | [1-9] [0-9]{0,15}) ([eE] [-+]? ("0" | [1-9] [0-9]{0,15}))?';
const accepts = (grammar: LlamaGrammar, text: string): boolean => (grammar as unknown as { _testText(text: string): boolean })._testText(text);

describe("boundGrammarNumbers", () => {
  it("every grammar the binding compiles afterwards has bounded numbers, not only the ones the engine builds itself", async () => {
    const llama = await getTestLlama();
    const before = await llama.createGrammar({ grammar: UNBOUNDED });
    expect(accepts(before, "7e123")).toBe(true);
    boundGrammarNumbers(llama);
    boundGrammarNumbers(llama); // once per binding, however often it is called
    const after = await llama.createGrammar({ grammar: UNBOUNDED });
    expect(accepts(after, "7e123")).toBe(false);
    expect(accepts(after, "-123456789012345")).toBe(true);
    expect(accepts(after, "1234567890123456")).toBe(false);
  });
});
