import { z } from "zod";

// Ollama's model endpoints: /api/tags (models available), /api/show (one model), /api/ps (loaded
// models) and /api/version.

export const OllamaModelDetailsSchema = z.object({
  parent_model: z.string(),
  format: z.string(),
  family: z.string(),
  families: z.array(z.string()),
  /** e.g. "1.1B". */
  parameter_size: z.string(),
  quantization_level: z.string(),
});
export type OllamaModelDetails = z.infer<typeof OllamaModelDetailsSchema>;

export const OllamaModelSchema = z.object({
  /** The id GET /v1/models lists; `<id>:latest` names the same model. */
  name: z.string(),
  model: z.string(),
  modified_at: z.string(),
  size: z.int().min(0),
  /** The model file's sha256. */
  digest: z.string(),
  details: OllamaModelDetailsSchema,
});

export const OllamaTagsResponseSchema = z.object({ models: z.array(OllamaModelSchema) });

export const OllamaRunningModelSchema = OllamaModelSchema.omit({ modified_at: true }).extend({
  /** Pools keep their model loaded: far in the future. */
  expires_at: z.string(),
  size_vram: z.int().min(0),
});
export const OllamaPsResponseSchema = z.object({ models: z.array(OllamaRunningModelSchema) });

export const OllamaShowRequestSchema = z.looseObject({
  model: z.string().min(1).optional(),
  /** Older clients send `name`. */
  name: z.string().min(1).optional(),
  verbose: z.boolean().optional(),
});
export type OllamaShowRequest = z.infer<typeof OllamaShowRequestSchema>;

export const OllamaShowResponseSchema = z.object({
  license: z.string(),
  modelfile: z.string(),
  parameters: z.string(),
  template: z.string(),
  details: OllamaModelDetailsSchema,
  /** GGUF-style keys: general.architecture, general.parameter_count, <arch>.context_length. */
  model_info: z.record(z.string(), z.union([z.string(), z.number()])),
  /** What the model can be used for, in Ollama's words; this server reports completion, tools (chat-template models) and embedding. */
  capabilities: z.array(z.enum(["completion", "tools", "embedding", "insert", "vision", "thinking"])),
  modified_at: z.string(),
});

export const OllamaPullRequestSchema = z.looseObject({
  model: z.string().min(1).optional(),
  /** Older clients send `name`. */
  name: z.string().min(1).optional(),
  insecure: z.boolean().optional(),
  stream: z.boolean().optional(),
});
export type OllamaPullRequest = z.infer<typeof OllamaPullRequestSchema>;

/** One line of a pull's progress; this server only ever reports `success` (the model is already in the cluster). */
export const OllamaPullStatusSchema = z.object({ status: z.string() });

/** Ollama's model-management bodies (create, copy, delete, push): read only far enough to name the model in the refusal. */
export const OllamaModelManagementRequestSchema = z.looseObject({
  model: z.string().optional(),
  name: z.string().optional(),
  source: z.string().optional(),
  destination: z.string().optional(),
});
export type OllamaModelManagementRequest = z.infer<typeof OllamaModelManagementRequestSchema>;

/** POST /api/copy (`ollama cp source destination`): here it makes `destination` an operator alias of `source`'s model. */
export const OllamaCopyRequestSchema = z.looseObject({
  source: z.string().min(1).max(1024),
  destination: z.string().min(1).max(1024),
});
export type OllamaCopyRequest = z.infer<typeof OllamaCopyRequestSchema>;

/**
 * The Ollama version /api/version reports: the Ollama API this surface implements (logprobs came in
 * 0.12.11), not llama-orch's own version (GET /v2/meta/version). Clients gate features on it (VS Code's
 * Copilot refuses an Ollama older than 0.6.4); llama-orch's 0.1.0 read as an Ollama from 2023.
 */
export const OLLAMA_API_VERSION = "0.12.11";

/** GET /api/version; `llama_orch_version` is ours (clients read `version` only). */
export const OllamaVersionResponseSchema = z.object({ version: z.string(), llama_orch_version: z.string().optional() });
