import { describe, expect, it } from "vitest";
import { headerFacts, POOLING_TYPE_RANK, unsupportedWorkloadMessage, workloadsOf } from "./model-workloads.js";

describe("workloadsOf", () => {
  it("a causal decoder completes and embeds; with a cls head and no rank pooling it also ranks", () => {
    expect(workloadsOf({ causal: undefined, pooling_type: undefined, supports_ranking: false })).toEqual(["completion", "embedding"]);
    expect(workloadsOf({ causal: true, pooling_type: 0, supports_ranking: true })).toEqual(["completion", "embedding", "rerank"]);
  });

  it("a reranker (rank pooling) only ranks, whether encoder (BERT) or decoder (Qwen3-Reranker)", () => {
    expect(workloadsOf({ causal: false, pooling_type: POOLING_TYPE_RANK, supports_ranking: true })).toEqual(["rerank"]);
    expect(workloadsOf({ causal: true, pooling_type: POOLING_TYPE_RANK, supports_ranking: true })).toEqual(["rerank"]);
  });

  it("an encoder embedding model (BERT, mean pooling) embeds but does not generate", () => {
    expect(workloadsOf({ causal: false, pooling_type: 1, supports_ranking: false })).toEqual(["embedding"]);
  });
});

describe("headerFacts", () => {
  it("reads attention.causal and pooling_type, ignoring what is missing or mistyped", () => {
    expect(headerFacts({ attention: { causal: false }, pooling_type: 4 }, true)).toEqual({ causal: false, pooling_type: 4, supports_ranking: true });
    expect(headerFacts({ attention: { causal: "no" }, pooling_type: "rank" }, false)).toEqual({ causal: undefined, pooling_type: undefined, supports_ranking: false });
    expect(headerFacts(undefined, false)).toEqual({ causal: undefined, pooling_type: undefined, supports_ranking: false });
  });
});

describe("unsupportedWorkloadMessage", () => {
  it("names the model, what it serves and what to do", () => {
    expect(unsupportedWorkloadMessage("bge", "bert", ["rerank"], "completion")).toBe("model bge (bert) serves rerank, not completion: it is a reranker, not a generative model: send it to POST /v1/rerank");
    expect(unsupportedWorkloadMessage("e5", undefined, ["embedding"], "completion")).toMatch(/^model e5 serves embedding, not completion: it is not a generative model/);
    expect(unsupportedWorkloadMessage("bge", "bert", ["rerank"], "embedding")).toMatch(/pooling is rank/);
    expect(unsupportedWorkloadMessage("tiny", "llama", ["completion", "embedding"], "rerank")).toMatch(/no ranking head/);
  });
});
