import { z } from "zod";
import { ByteCountSchema } from "../common/ids.js";
import { WorkloadSchema } from "../tasks/task-request.js";
import { Sha256HexSchema } from "./sha256.js";

/** A GGUF file a worker holds, as read from its header (reported on register/heartbeat and GET /v2/models). */
export const ModelInventoryEntrySchema = z.object({
  sha256: Sha256HexSchema,
  /** Friendly name: general.name from the GGUF, else the file name without extension. */
  name: z.string().min(1),
  /** Where `name` came from (src-shared/models/model-id.ts); absent from older workers: general.name. */
  name_from: z.enum(["gguf_name", "file_name"]).optional(),
  file_name: z.string().min(1),
  size_bytes: ByteCountSchema,
  architecture: z.string().optional(),
  context_length: z.int().min(1).optional(),
  parameter_count: z.int().min(0).optional(),
  quantization: z.string().optional(),
  has_chat_template: z.boolean(),
  /** It has fill-in-the-middle tokens: completions with a suffix are served (Ollama's "insert"); absent from older workers: unknown. */
  fill_in_middle: z.boolean().optional(),
  /** What the model can serve, from its header (model-workloads.ts); absent from older workers: every workload is tried. */
  workloads: z.array(WorkloadSchema).optional(),
  mtime_ms: z.int().min(0).optional(),
});
export type ModelInventoryEntry = z.infer<typeof ModelInventoryEntrySchema>;

/** The loaded model of a pool. */
export const LoadedModelSchema = z.object({
  sha256: Sha256HexSchema,
  name: z.string(),
});
export type LoadedModel = z.infer<typeof LoadedModelSchema>;
