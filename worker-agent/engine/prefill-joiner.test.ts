import type { Token } from "node-llama-cpp";
import { describe, expect, it } from "vitest";
import { chatHistory } from "./chat-plan.js";
import { PrefillJoiner, prefillOf, type Detokenizer } from "./prefill-joiner.js";

// A SentencePiece-like vocabulary: "▁" marks a word's leading space, dropped when a token is detokenized alone.
const VOCAB = ["▁test", "▁of", "ing"];
const spm: Detokenizer = {
  tokenize: (text) => text.split(/(?=\s)/).map((w) => VOCAB.indexOf(w.replace(/^\s/, "▁")) as Token),
  detokenize: (tokens, _special, last) => {
    const text = tokens.map((t) => (VOCAB[t] ?? "").replace("▁", " ")).join("");
    return last !== undefined && last.length > 0 ? text : text.replace(/^ /, "");
  },
};

describe("assistant prefill", () => {
  it("puts back the leading space the first token loses when detokenized alone, once", () => {
    const joiner = new PrefillJoiner(spm, "test");
    joiner.tokens([1 as Token]);
    expect(joiner.text("of")).toBe(" of");
    joiner.tokens([0 as Token]);
    expect(joiner.text(" test")).toBe(" test");
  });

  it("adds nothing to a sub-word continuation, and waits for the first non-empty chunk", () => {
    const joiner = new PrefillJoiner(spm, "test");
    joiner.tokens([]);
    joiner.tokens([2 as Token]);
    expect(joiner.text("")).toBe("");
    expect(joiner.text("ing")).toBe("ing");
  });

  it("a history ending with an assistant turn continues it; one ending with tool calls is refused", () => {
    const prefilled = chatHistory([{ role: "user", content: "hi" }, { role: "assistant", content: "Sure," }]);
    expect(prefilled).toEqual([{ type: "user", text: "hi" }, { type: "model", response: ["Sure,"] }]);
    expect(prefillOf(prefilled as never)).toBe("Sure,");
    const fresh = chatHistory([{ role: "user", content: "hi" }]);
    expect(fresh).toEqual([{ type: "user", text: "hi" }, { type: "model", response: [] }]);
    expect(prefillOf(fresh as never)).toBeUndefined();
    const calls = chatHistory([{ role: "user", content: "hi" }, { role: "assistant", content: "", tool_calls: [{ id: "c1", name: "f", arguments: "{}" }] }]);
    expect(calls).toMatch(/calls tools/);
  });
});
