import { z } from "zod";

/** One entry of GET /v1/models. `id` is the friendly name accepted as `model`. */
export const OpenAiModelSchema = z.object({
  id: z.string(),
  object: z.literal("model"),
  /** Unix seconds. */
  created: z.int().min(0),
  owned_by: z.string(),
});
export type OpenAiModel = z.infer<typeof OpenAiModelSchema>;

export const OpenAiModelListSchema = z.object({
  object: z.literal("list"),
  data: z.array(OpenAiModelSchema),
});
export type OpenAiModelList = z.infer<typeof OpenAiModelListSchema>;
