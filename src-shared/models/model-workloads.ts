import type { Workload } from "../tasks/task-request.js";

// Which task workloads a GGUF model can serve, from its header alone (the worker reports them with
// its inventory, so the orchestrator refuses an impossible request before placing it):
// - completion: a causal decoder. An encoder (`<arch>.attention.causal` false, e.g. BERT) or a model
//   whose pooling is `rank` (a reranker) has no usable language-model head; llama-server refuses
//   completions for them too.
// - embedding: any pooling but `rank` (a rank-pooled "embedding" is the one-number relevance logit).
// - rerank: a classification head (`cls.weight` / `cls.output.weight`) and a [SEP] or EOS token to
//   join query and document (node-llama-cpp's supportsRanking).

/** llama.cpp's LLAMA_POOLING_TYPE_RANK. */
export const POOLING_TYPE_RANK = 4;

export interface ModelHeaderFacts {
  /** `<arch>.attention.causal`; absent means causal (llama.cpp's default). */
  causal: boolean | undefined;
  /** `<arch>.pooling_type`; absent means none. */
  pooling_type: number | undefined;
  /** node-llama-cpp's `supportsRanking`: a cls head and a separator. */
  supports_ranking: boolean;
}

export function workloadsOf(facts: ModelHeaderFacts): Workload[] {
  const reranker = facts.pooling_type === POOLING_TYPE_RANK;
  const workloads: Workload[] = [];
  if (facts.causal !== false && !reranker) workloads.push("completion");
  if (!reranker) workloads.push("embedding");
  if (facts.supports_ranking) workloads.push("rerank");
  return workloads;
}

/** The facts from a GGUF's architecture metadata (`<arch>.*`, as node-llama-cpp parses it) plus the ranking test. */
export function headerFacts(architectureMetadata: unknown, supportsRanking: boolean): ModelHeaderFacts {
  const arch = (typeof architectureMetadata === "object" && architectureMetadata !== null ? architectureMetadata : {}) as { attention?: { causal?: unknown }; pooling_type?: unknown };
  return {
    causal: typeof arch.attention?.causal === "boolean" ? arch.attention.causal : undefined,
    pooling_type: typeof arch.pooling_type === "number" ? arch.pooling_type : undefined,
    supports_ranking: supportsRanking,
  };
}

/** Why a model cannot serve a workload, for a 400 the caller can act on. */
export function unsupportedWorkloadMessage(modelId: string, architecture: string | undefined, workloads: readonly Workload[], wanted: Workload): string {
  const arch = architecture === undefined ? "" : ` (${architecture})`;
  const serves = workloads.length === 0 ? "no workload" : workloads.join(", ");
  const why: Record<Workload, string> = {
    completion: workloads.includes("rerank") ? "it is a reranker, not a generative model: send it to POST /v1/rerank" : "it is not a generative model (an encoder without a language-model head)",
    embedding: "its pooling is rank, so it outputs one relevance score, not an embedding vector",
    rerank: "it has no ranking head (no cls.* classification tensor); serve a reranker model (e.g. a bge-reranker GGUF) and send its id",
  };
  return `model ${modelId}${arch} serves ${serves}, not ${wanted}: ${why[wanted]}`;
}
