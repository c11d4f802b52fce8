import { z } from "zod";
import type { ParamPolicy } from "../compat/param-policy.js";
import { present } from "../compat/param-policy.js";
import { MAX_EMBEDDING_INPUTS } from "../tasks/generation.js";

/** POST /api/embed (ollama-js `embed`). */
export const OllamaEmbedRequestSchema = z.looseObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(z.string()).min(1).max(MAX_EMBEDDING_INPUTS)]),
  truncate: z.boolean().optional(),
  keep_alive: z.union([z.string(), z.number()]).optional(),
  dimensions: z.int().min(1).optional(),
});
export type OllamaEmbedRequest = z.infer<typeof OllamaEmbedRequestSchema>;

export const OllamaEmbedResponseSchema = z.object({
  model: z.string(),
  embeddings: z.array(z.array(z.number())),
  total_duration: z.int().min(0),
  load_duration: z.int().min(0),
  prompt_eval_count: z.int().min(0),
});

/** POST /api/embed. */
export const OLLAMA_EMBED_PARAMS: ParamPolicy = {
  unknownNote: "it is not an /api/embed parameter this server knows, so it cannot be honoured",
  rules: [
    { param: "model", support: "supported", note: "a name from /api/tags" },
    { param: "input", support: "supported", note: `a string or up to ${MAX_EMBEDDING_INPUTS} strings` },
    { param: "truncate", support: "supported", note: "inputs are never cut: one longer than the embedding context fails with CONTEXT_TOO_LONG whatever truncate says" },
    { param: "keep_alive", support: "supported", note: "pools keep their model loaded" },
    { param: "dimensions", support: "refused", note: "vectors have the model's own size", refuses: present },
  ],
};
