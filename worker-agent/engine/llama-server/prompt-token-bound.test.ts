// The byte bound on a prompt's tokens, and which models' tokenizers it is trusted for (read from the
// generated test models' GGUF headers).
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { testModelPath } from "../../../test-support/models.js";
import { promptTokensAtMost, tokenizerIsBounded } from "./prompt-token-bound.js";

describe("prompt token bound", () => {
  it("counts UTF-8 bytes plus the special tokens llama-server may add", () => {
    expect(promptTokensAtMost("")).toBe(4);
    expect(promptTokensAtMost("hello")).toBe(9);
    // é is 2 bytes, 😀 is 4: byte-fallback tokens are at most one per byte.
    expect(promptTokensAtMost("é😀")).toBe(10);
  });

  it("is trusted for a SentencePiece (llama) vocabulary, not for BERT's WordPiece nor for a file that is no GGUF", async () => {
    expect(await tokenizerIsBounded(testModelPath("tiny"))).toBe(true);
    expect(await tokenizerIsBounded(testModelPath("tiny-reranker"))).toBe(false);
    expect(await tokenizerIsBounded(fileURLToPath(import.meta.url))).toBe(false);
  });
});
