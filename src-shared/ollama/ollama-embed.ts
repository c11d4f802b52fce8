import { z } from "zod";
import type { ParamPolicy, ParamRule } from "../compat/param-policy.js";
import { embeddingOptionsRefused } from "./ollama-params.js";
import { present } from "../compat/param-policy.js";
import { MAX_EMBEDDING_INPUTS } from "../tasks/generation.js";
import { OllamaKeepAliveSchema } from "./ollama-keep-alive.js";

/** `options` on /api/embed and /api/embeddings (embeddingOptionsRefused: load-time and unknown keys). */
const EMBEDDING_OPTIONS_RULE: ParamRule = {
  param: "options",
  support: "partial",
  note: "the options of /api/chat are accepted and change nothing (a vector has no sampling; num_ctx does not change the embedding context); load-time ones (num_gpu, num_thread, use_mmap, …) and unknown keys are refused",
  refuses: embeddingOptionsRefused,
};

const TOO_MANY_INPUTS = `a string or up to ${MAX_EMBEDDING_INPUTS} strings (send more in several requests)`;

/** POST /api/embed (ollama-js `embed`). */
export const OllamaEmbedRequestSchema = z.looseObject({
  model: z.string().min(1),
  /** "" and [] are no input: answered with no vectors, as Ollama does (clients send them to load a model). */
  input: z.union([z.string(), z.array(z.string()).max(MAX_EMBEDDING_INPUTS, { error: TOO_MANY_INPUTS })], { error: TOO_MANY_INPUTS }),
  truncate: z.boolean().optional(),
  keep_alive: OllamaKeepAliveSchema.optional(),
  dimensions: z.int().min(1).optional(),
  options: z.record(z.string(), z.unknown()).optional(),
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
    { param: "input", support: "supported", note: `a string or up to ${MAX_EMBEDDING_INPUTS} strings; each vector scaled to length 1, as Ollama's; "" or [] embeds nothing (no vectors, as Ollama answers them)` },
    { param: "truncate", support: "supported", note: "true (the default, as in Ollama): an input longer than the embedding context is cut to its first tokens that fit (prompt_eval_count counts what was embedded); false: it fails with CONTEXT_TOO_LONG" },
    { param: "keep_alive", support: "supported", note: "pools keep their model loaded" },
    { param: "dimensions", support: "refused", note: "vectors have the model's own size", refuses: present },
    EMBEDDING_OPTIONS_RULE,
  ],
};

/** POST /api/embeddings: Ollama's older single-prompt endpoint (ollama-js `embeddings`, older LangChain and Open WebUI). */
export const OllamaLegacyEmbeddingsRequestSchema = z.looseObject({
  model: z.string().min(1),
  prompt: z.string(),
  options: z.record(z.string(), z.unknown()).optional(),
  keep_alive: OllamaKeepAliveSchema.optional(),
});
export type OllamaLegacyEmbeddingsRequest = z.infer<typeof OllamaLegacyEmbeddingsRequestSchema>;

export const OllamaLegacyEmbeddingsResponseSchema = z.object({
  embedding: z.array(z.number()),
});

/** POST /api/embeddings. */
export const OLLAMA_LEGACY_EMBEDDINGS_PARAMS: ParamPolicy = {
  unknownNote: "it is not an /api/embeddings parameter this server knows, so it cannot be honoured",
  rules: [
    { param: "model", support: "supported", note: "a name from /api/tags" },
    { param: "prompt", support: "supported", note: "one text; an empty prompt gives an empty vector, as Ollama answers" },
    { param: "keep_alive", support: "supported", note: "pools keep their model loaded" },
    EMBEDDING_OPTIONS_RULE,
  ],
};
