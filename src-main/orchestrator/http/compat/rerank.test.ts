import { describe, expect, it } from "vitest";
import { RerankResponseSchema, type RerankRequest } from "../../../../src-shared/rerank/rerank.js";
import { rerankAdmission, rerankBody } from "./rerank.js";

// The response shaping a random-weight test model cannot exercise (it has no ranking head): sorting,
// ties, top_n and return_documents over the worker's per-document scores.
const task = { task_id: "0b7c9a52-3f7e-4c1e-9a55-7f3c2e1d0a11" };
const req = (extra: Partial<RerankRequest> = {}): RerankRequest => ({ model: "rr", query: "capital of France", documents: ["Bananas", { text: "Paris" }, "Lyon", "Berlin"], ...extra });
const scores = [
  { index: 0, score: 0.01, tokens: 5 },
  { index: 1, score: 0.97, tokens: 5 },
  { index: 2, score: 0.4, tokens: 5 },
  { index: 3, score: 0.4, tokens: 5 },
];

describe("rerank response", () => {
  it("sorts by relevance (ties by index), keeps documents as {text}, and validates against the schema", () => {
    const body = rerankBody(req(), task, "rr", { scores: [...scores].reverse(), promptTokens: 20 });
    expect(RerankResponseSchema.parse(body)).toEqual(body);
    expect(body.results.map((r) => r.index)).toEqual([1, 2, 3, 0]);
    expect(body.results[0]).toEqual({ index: 1, relevance_score: 0.97, document: { text: "Paris" } });
    expect(body).toMatchObject({ id: `rerank-${task.task_id}`, model: "rr", usage: { prompt_tokens: 20, total_tokens: 20 } });
  });

  it("top_n cuts to the best n; return_documents false leaves the documents out", () => {
    const body = rerankBody(req({ top_n: 2, return_documents: false }), task, "rr", { scores, promptTokens: 20 });
    expect(body.results).toEqual([{ index: 1, relevance_score: 0.97 }, { index: 2, relevance_score: 0.4 }]);
  });

  it("admission: one rerank task with the texts as inputs and the query beside them", () => {
    expect(rerankAdmission(req())).toMatchObject({ api: "rerank", workload: "rerank", model_ref: "rr", generation: { inputs: ["Bananas", "Paris", "Lyon", "Berlin"], rank_query: "capital of France", max_tokens: 1 } });
  });
});
