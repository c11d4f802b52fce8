import type { EmbeddingRequest, EmbeddingResponse } from "../../../../src-shared/openai/embeddings.js";
import { EMBEDDING_PARAMS } from "../../../../src-shared/openai/embeddings.js";
import type { OllamaEmbedRequest, OllamaLegacyEmbeddingsRequest } from "../../../../src-shared/ollama/ollama-embed.js";
import { OLLAMA_EMBED_PARAMS, OLLAMA_LEGACY_EMBEDDINGS_PARAMS } from "../../../../src-shared/ollama/ollama-embed.js";
import type { AdmissionInput } from "../../tasks/admit-task.js";
import { refuseUnsupported, unsupported } from "./refuse.js";
import type { BodyRenderer, Completion } from "./surface-renderer.js";

// Embeddings on the task path: one embedding task per request (all inputs), placed and queued like
// any task; the worker answers with one `embedding` event per input.

function admission(api: "openai-embeddings" | "ollama-embed", model: string, input: string | readonly string[], truncate = false): AdmissionInput {
  const inputs = typeof input === "string" ? [input] : [...input];
  // An empty text has no tokens: the engine answered a vector of length 0, which no vector store accepts.
  const empty = inputs.indexOf("");
  if (empty >= 0) throw unsupported(typeof input === "string" ? "input" : `input[${empty}]`, `${typeof input === "string" ? "input" : `input[${empty}]`} is an empty string: there is nothing to embed`);
  // max_tokens bounds what a task may generate; an embedding generates nothing.
  return { api, workload: "embedding", model_ref: model, priority: "interactive", generation: { inputs, max_tokens: 1, ...(truncate ? { truncate_inputs: true } : {}) } };
}

export function openAiEmbeddingAdmission(req: EmbeddingRequest): AdmissionInput {
  refuseUnsupported(EMBEDDING_PARAMS, req);
  return admission("openai-embeddings", req.model, req.input as string | string[]);
}

export function ollamaEmbedAdmission(req: OllamaEmbedRequest): AdmissionInput {
  refuseUnsupported(OLLAMA_EMBED_PARAMS, req);
  // Ollama cuts an input to the context unless truncate is false (its default is true): RAG ingestion
  // through LangChain's or LlamaIndex's Ollama embeddings sends long chunks and relies on it.
  return admission("ollama-embed", req.model, req.input, req.truncate !== false);
}

/** Ollama's /api/embed and /api/embeddings parameters alone, for an empty input answered without a task. */
export function checkOllamaEmbedParams(req: OllamaEmbedRequest | OllamaLegacyEmbeddingsRequest): void {
  refuseUnsupported("prompt" in req ? OLLAMA_LEGACY_EMBEDDINGS_PARAMS : OLLAMA_EMBED_PARAMS, req);
}

/** POST /api/embeddings (Ollama's older endpoint): one prompt, one vector. */
export function ollamaLegacyEmbeddingsAdmission(req: OllamaLegacyEmbeddingsRequest): AdmissionInput {
  refuseUnsupported(OLLAMA_LEGACY_EMBEDDINGS_PARAMS, req);
  return admission("ollama-embed", req.model, req.prompt);
}

function vectors(done: Completion): number[][] {
  return [...done.embeddings].sort((a, b) => a.index - b.index).map((e) => e.embedding);
}

/** Little-endian float32 bytes in base64, as OpenAI's encoding_format "base64". */
function base64Floats(vector: readonly number[]): string {
  return Buffer.from(new Float32Array(vector).buffer).toString("base64");
}

export function openAiEmbeddingRenderer(req: EmbeddingRequest, model: string): BodyRenderer {
  return {
    body: (done): EmbeddingResponse => ({
      object: "list",
      data: vectors(done).map((v, index) => ({ object: "embedding", index, embedding: req.encoding_format === "base64" ? base64Floats(v) : v })),
      model,
      usage: { prompt_tokens: done.promptTokens, total_tokens: done.promptTokens },
    }),
  };
}

export function ollamaEmbedRenderer(model: string): BodyRenderer {
  return {
    body: (done) => {
      const task = done.task;
      const totalNs = Math.max(0, ((task.finished_at_ms ?? Date.now()) - task.enqueued_at_ms) * 1e6);
      return { model, embeddings: vectors(done), total_duration: Math.round(totalNs), load_duration: 0, prompt_eval_count: done.promptTokens };
    },
  };
}

export function ollamaLegacyEmbeddingsRenderer(): BodyRenderer {
  return { body: (done) => ({ embedding: vectors(done)[0] ?? [] }) };
}
