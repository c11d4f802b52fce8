import { echoedModelId } from "../../catalog/model-resolver.js";
import { documentText, RERANK_PARAMS, type RerankRequest, type RerankResponse } from "../../../../src-shared/rerank/rerank.js";
import type { AdmissionInput } from "../../tasks/admit-task.js";
import type { Task } from "../../tasks/task.js";
import { refuseUnsupported } from "./refuse.js";
import type { BodyRenderer, Completion } from "./surface-renderer.js";

// Reranking on the task path: one rerank task per request (all documents), placed and queued like any
// task; the worker scores each document with the model's ranking head (`score` events) or refuses a
// model that has none.

export function rerankAdmission(req: RerankRequest): AdmissionInput {
  refuseUnsupported(RERANK_PARAMS, req);
  // max_tokens bounds what a task may generate; a ranking generates nothing.
  return { api: "rerank", workload: "rerank", model_ref: req.model, priority: "interactive", generation: { inputs: req.documents.map(documentText), rank_query: req.query, max_tokens: 1 } };
}

/** Results most relevant first (ties by index), cut to top_n, with the documents unless asked not to. */
export function rerankBody(req: RerankRequest, task: Pick<Task, "task_id">, model: string, done: Pick<Completion, "scores" | "promptTokens">): RerankResponse {
  const ranked = [...done.scores].sort((a, b) => b.score - a.score || a.index - b.index).slice(0, req.top_n ?? undefined);
  const withDocuments = req.return_documents !== false;
  return {
    id: `rerank-${task.task_id}`,
    model,
    results: ranked.map((s) => ({ index: s.index, relevance_score: s.score, ...(withDocuments ? { document: { text: documentText(req.documents[s.index] ?? "") } } : {}) })),
    usage: { prompt_tokens: done.promptTokens, total_tokens: done.promptTokens },
  };
}

export function rerankRenderer(req: RerankRequest, task: Task): BodyRenderer {
  return { body: (done) => rerankBody(req, task, echoedModelId(task.model), done) };
}
