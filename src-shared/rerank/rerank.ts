import { z } from "zod";
import type { ParamPolicy } from "../compat/param-policy.js";
import { present } from "../compat/param-policy.js";
import { MAX_EMBEDDING_INPUTS } from "../tasks/generation.js";

// POST /v1/rerank in the Jina / Cohere shape (what llama.cpp's server, LangChain's and LlamaIndex's
// rerankers and Open WebUI send): a query, documents, and results sorted by relevance.

const DocumentSchema = z.union([z.string(), z.looseObject({ text: z.string() })]);

export const RerankRequestSchema = z.looseObject({
  model: z.string().min(1),
  query: z.string().min(1),
  documents: z.array(DocumentSchema).min(1).max(MAX_EMBEDDING_INPUTS),
  /** Return only the best n (default: all). */
  top_n: z.int().min(1).nullable().optional(),
  /** Include each result's document text (default true, as Jina). */
  return_documents: z.boolean().nullable().optional(),
});
export type RerankRequest = z.infer<typeof RerankRequestSchema>;

export const RerankResultSchema = z.object({
  /** Position of the document in the request. */
  index: z.int().min(0),
  /** 0 to 1, from the model's ranking head. */
  relevance_score: z.number().min(0).max(1),
  document: z.object({ text: z.string() }).optional(),
});

export const RerankResponseSchema = z.object({
  id: z.string(),
  model: z.string(),
  /** Most relevant first. */
  results: z.array(RerankResultSchema),
  usage: z.object({ prompt_tokens: z.int().min(0), total_tokens: z.int().min(0) }),
});
export type RerankResponse = z.infer<typeof RerankResponseSchema>;

/** A document's text, whichever way it was sent. */
export function documentText(document: z.infer<typeof DocumentSchema>): string {
  return typeof document === "string" ? document : document.text;
}

/** Parameters of POST /v1/rerank. */
export const RERANK_PARAMS: ParamPolicy = {
  unknownNote: "it is not a rerank parameter this server knows, so it cannot be honoured",
  rules: [
    { param: "model", support: "supported", note: "an id from GET /v1/models of a model with a ranking head (a reranker GGUF, e.g. bge-reranker or Qwen3-Reranker); other models answer 400, never a made-up score" },
    { param: "query", support: "supported", note: "" },
    { param: "documents", support: "supported", note: `up to ${MAX_EMBEDDING_INPUTS} strings or {text} objects` },
    { param: "top_n", support: "supported", note: "only the best n results (default all)" },
    { param: "return_documents", support: "supported", note: "default true: each result carries {text}" },
    { param: "rank_fields", support: "refused", note: "documents are text; structured documents are not ranked by field", refuses: present },
    { param: "max_chunks_per_doc", support: "refused", note: "a document longer than the context is refused (CONTEXT_TOO_LONG), not chunked", refuses: present },
    { param: "max_tokens_per_doc", support: "refused", note: "a document longer than the context is refused (CONTEXT_TOO_LONG), not truncated", refuses: present },
  ],
};
