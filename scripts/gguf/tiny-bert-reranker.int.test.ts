// The generated BERT reranker loads in the real llama.cpp and ranks through node-llama-cpp's ranking context.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readGgufFileInfo } from "node-llama-cpp";
import { describe, expect, it } from "vitest";
import { getTestLlama } from "../../test-support/llama.js";
import { testModelPath } from "../../test-support/models.js";
import { parseMakeModelArgs } from "./cli-args.js";
import { makeTinyGguf, resolveTinyModelSpec } from "./tiny-llama-model.js";
import { writeTinyGguf } from "./write-tiny-gguf.js";

const QUERY = "what is the capital of france";
const DOCS = ["the cat sat on the mat", "paris is the capital of france", "fish swim in water", "hello world", "the red sun and the blue moon"];

describe("bert-reranker generator", () => {
  it("is deterministic and differs by seed", () => {
    const a = makeTinyGguf({ arch: "bert-reranker" });
    expect(Buffer.from(makeTinyGguf({ arch: "bert-reranker" })).equals(a)).toBe(true);
    expect(Buffer.from(makeTinyGguf({ arch: "bert-reranker", seed: 7 })).equals(a)).toBe(false);
  });

  it("refuses options a BERT reranker cannot have", () => {
    expect(() => resolveTinyModelSpec({ arch: "bert-reranker", chatTemplate: "chatml" })).toThrow(/no chat template/);
    expect(() => resolveTinyModelSpec({ arch: "bert-reranker", shape: { heads: 4, kvHeads: 2 } })).toThrow(/kvHeads equal to heads/);
    expect(() => resolveTinyModelSpec({ arch: "bert-reranker", defect: "missing-feed-forward-length" })).toThrow(/llama models only/);
  });

  it("is selectable from the make-model CLI", () => {
    expect(parseMakeModelArgs(["r.gguf", "--arch", "bert-reranker"])).toEqual({ kind: "run", outPath: "r.gguf", options: { arch: "bert-reranker" } });
    expect(parseMakeModelArgs(["r.gguf", "--arch", "t5"])).toMatchObject({ kind: "error", message: expect.stringMatching(/--arch must be one of llama, bert-reranker/) });
    expect(parseMakeModelArgs(["r.gguf", "--arch", "bert-reranker", "--chat-template", "chatml"])).toMatchObject({ kind: "error" });
  });

  it("writes the bert metadata llama.cpp needs for rank pooling", async () => {
    const info = await readGgufFileInfo(testModelPath("tiny-reranker"));
    expect(info.metadata.general.architecture).toBe("bert");
    const raw = info.metadata as unknown as { bert: Record<string, unknown>; tokenizer: { ggml: Record<string, unknown> } };
    expect(raw.bert["pooling_type"]).toBe(4);
    expect(raw.tokenizer.ggml["model"]).toBe("bert");
    const names = (info.fullTensorInfo ?? []).map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(["cls.weight", "cls.bias", "cls.output.weight", "cls.output.bias", "position_embd.weight", "token_types.weight"]));
  });
});

describe("bert-reranker in llama.cpp", () => {
  it("loads, reports ranking support, and ranks deterministically with scores in [0, 1]", async () => {
    const llama = await getTestLlama();
    const model = await llama.loadModel({ modelPath: testModelPath("tiny-reranker") });
    try {
      expect(model.fileInsights.supportsRanking).toBe(true);
      expect(model.tokens.sep).not.toBeNull();
      // WordPiece: known words are one piece each; llama.cpp detokenizes every word-initial piece with its space.
      expect(model.tokenize("the cat sat")).toHaveLength(3);
      expect(model.detokenize(model.tokenize("the cat sat zebra")).trim()).toBe("the cat sat zebra");
      const context = await model.createRankingContext({ contextSize: 512, threads: 1 });
      try {
        const first = await context.rankAll(QUERY, DOCS);
        const second = await context.rankAll(QUERY, DOCS);
        expect(second).toEqual(first);
        for (const score of first) {
          expect(Number.isFinite(score)).toBe(true);
          expect(score).toBeGreaterThanOrEqual(0);
          expect(score).toBeLessThanOrEqual(1);
        }
        // The head is not constant: different documents get different scores.
        expect(new Set(first.map((s) => s.toFixed(6))).size).toBe(DOCS.length);
        // Scoring one pair alone gives the same number as in the batch.
        expect(await context.rank(QUERY, DOCS[1] ?? "")).toBeCloseTo(first[1] ?? -1, 5);
      } finally {
        await context.dispose();
      }
    } finally {
      await model.dispose();
    }
  });

  it("an F16 medium-size reranker loads and ranks too", async () => {
    const dir = await mkdtemp(join(tmpdir(), "bert-reranker-"));
    try {
      const written = await writeTinyGguf(join(dir, "rr-f16.gguf"), { arch: "bert-reranker", size: "medium", type: "f16", seed: 3 });
      const llama = await getTestLlama();
      const model = await llama.loadModel({ modelPath: written.path });
      try {
        const context = await model.createRankingContext({ contextSize: 512, threads: 1 });
        const scores = await context.rankAll(QUERY, DOCS.slice(0, 2));
        await context.dispose();
        for (const score of scores) expect(score > 0 && score < 1).toBe(true);
      } finally {
        await model.dispose();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
