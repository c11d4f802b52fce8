import { z } from "zod";

export const PreparationStepSchema = z.object({
  /** e.g. "engine:llamacpp", "model:sha256:<hex>". */
  id: z.string(),
  kind: z.enum(["engine_provision", "model_fetch", "pool_warmup"]),
  group: z.enum(["engine", "model", "pool"]).optional(),
  description: z.string().optional(),
  estimated_ms: z.int().min(0).optional(),
  bytes_total: z.int().min(0).optional(),
  status: z.enum(["pending", "running", "completed", "failed"]),
});
export type PreparationStep = z.infer<typeof PreparationStepSchema>;

/** 202 body of POST /v2/tasks (spec §2.2 AdmissionResponseV2). */
export const AdmissionResponseV2Schema = z.object({
  task_id: z.string(),
  /** 0-based position within the task's priority class at admission. */
  queue_position: z.int().min(0),
  predicted_start_ms: z.int().min(0),
  backoff_ms: z.int().min(0),
  streams: z
    .object({
      sse: z.string(),
      sse_verbose: z.string(),
    })
    .optional(),
  preparation: z.object({ steps: z.array(PreparationStepSchema) }).optional(),
});
export type AdmissionResponseV2 = z.infer<typeof AdmissionResponseV2Schema>;

/** Paths advertised in `streams` for a task id. */
export function taskStreamPaths(taskId: string): { sse: string; sse_verbose: string } {
  const sse = `/v2/tasks/${encodeURIComponent(taskId)}/events`;
  return { sse, sse_verbose: `${sse}?verbose=true` };
}
