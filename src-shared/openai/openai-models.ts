import { z } from "zod";
import { WorkloadSchema } from "../tasks/task-request.js";

/** One entry of GET /v1/models. `id` is the friendly name accepted as `model`. */
export const OpenAiModelSchema = z.object({
  id: z.string(),
  object: z.literal("model"),
  /** Unix seconds. */
  created: z.int().min(0),
  owned_by: z.string(),
  /**
   * llama-orch extension: the workloads the model serves (completion = chat, completions, responses,
   * messages; embedding; rerank). A reranker lists only rerank. Absent when its worker did not say.
   */
  capabilities: z.array(WorkloadSchema).optional(),
  /** llama-orch extension: this entry is an operator alias (docs/MODEL_STAGING.md "Aliases") of the model with this id. */
  alias_of: z.string().optional(),
});
export type OpenAiModel = z.infer<typeof OpenAiModelSchema>;

export const OpenAiModelListSchema = z.object({
  object: z.literal("list"),
  data: z.array(OpenAiModelSchema),
});
export type OpenAiModelList = z.infer<typeof OpenAiModelListSchema>;
