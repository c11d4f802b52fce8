import { z } from "zod";
import { EngineSchema, WorkloadSchema } from "../tasks/task-request.js";

export const EngineCapabilitySchema = z.object({
  engine: EngineSchema,
  engine_version: z.string().optional(),
  ctx_max: z.int().min(1),
  max_tokens_out: z.int().min(1).optional(),
  supported_workloads: z.array(WorkloadSchema),
  /** Declared concurrency across ready pools. */
  slots_total: z.int().min(0).optional(),
  rate_limits: z.record(z.string(), z.unknown()),
  features: z.record(z.string(), z.unknown()),
});
export type EngineCapability = z.infer<typeof EngineCapabilitySchema>;

/** GET /v2/meta/capabilities. api_version equals the OpenAPI document's info.version. */
export const CapabilitiesResponseSchema = z.object({
  api_version: z.string(),
  engines: z.array(EngineCapabilitySchema),
});
export type CapabilitiesResponse = z.infer<typeof CapabilitiesResponseSchema>;

/** GET /v2/meta/version. */
export const VersionResponseSchema = z.object({
  api_version: z.string(),
  version: z.string(),
  build_commit: z.string().nullable(),
  build_time: z.string().nullable(),
});
export type VersionResponse = z.infer<typeof VersionResponseSchema>;

/** GET /health on the orchestrator (open). */
export const OrchestratorHealthResponseSchema = z.object({
  status: z.literal("ok"),
  version: z.string(),
});
export type OrchestratorHealthResponse = z.infer<typeof OrchestratorHealthResponseSchema>;
