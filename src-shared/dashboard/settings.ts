import { z } from "zod";
import { AdmissionPolicySchema } from "../config/orchestrator-config.js";
import { PlacementStrategySchema } from "../tasks/placement.js";

/** Settings an operator may change at run time (GET/PUT /v2/settings); persisted in the database. */
export const SettingsSchema = z.object({
  placement_strategy: PlacementStrategySchema,
  admission_capacity: z.int().min(1).max(100_000),
  admission_policy: AdmissionPolicySchema,
  session_token_budget: z.int().min(0),
  /** Cap of each model staging transfer in bytes per second; 0 = unlimited. */
  staging_bandwidth_limit_bytes_per_s: z.int().min(0).optional(),
  /** Read-only facts shown beside them. */
  profile: z.enum(["home", "cloud"]),
  bind_addr: z.string(),
});
export type Settings = z.infer<typeof SettingsSchema>;

/** PUT /v2/settings: any subset of the changeable keys; unknown keys are an error (strict). */
export const SettingsUpdateSchema = z.strictObject({
  placement_strategy: PlacementStrategySchema.optional(),
  admission_capacity: z.int().min(1).max(100_000).optional(),
  admission_policy: AdmissionPolicySchema.optional(),
  session_token_budget: z.int().min(0).optional(),
  staging_bandwidth_limit_bytes_per_s: z.int().min(0).optional(),
});
export type SettingsUpdate = z.infer<typeof SettingsUpdateSchema>;
