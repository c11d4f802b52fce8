import { z } from "zod";
import { AdmissionPolicySchema } from "../config/orchestrator-config.js";
import { PlacementStrategySchema } from "../tasks/placement.js";

/** The settings the dashboard may change. */
export const SETTING_KEYS = ["placement_strategy", "admission_capacity", "admission_policy", "session_token_budget", "staging_bandwidth_limit_bytes_per_s"] as const;
export const SettingKeySchema = z.enum(SETTING_KEYS);
export type SettingKey = z.infer<typeof SettingKeySchema>;

/** A setting fixed outside the dashboard: env > config file > dashboard, so a PUT of it is refused (409). */
export const PinnedSettingSchema = z.object({
  key: SettingKeySchema,
  /** e.g. "env ORCHD_ADMISSION_CAPACITY" or "config file /etc/llama-orch.json". */
  source: z.string(),
});
export type PinnedSetting = z.infer<typeof PinnedSettingSchema>;

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
  /** Keys pinned by the environment or the config file; the dashboard shows them read-only. */
  pinned: z.array(PinnedSettingSchema).optional(),
});
export type Settings = z.infer<typeof SettingsSchema>;

/** The keys PUT /v2/settings changes. */
export const SettingsChangeSchema = z.strictObject({
  placement_strategy: PlacementStrategySchema.optional(),
  admission_capacity: z.int().min(1).max(100_000).optional(),
  admission_policy: AdmissionPolicySchema.optional(),
  session_token_budget: z.int().min(0).optional(),
  staging_bandwidth_limit_bytes_per_s: z.int().min(0).optional(),
});
export type SettingsChange = z.infer<typeof SettingsChangeSchema>;

/**
 * PUT /v2/settings: any subset of the changeable keys; unknown keys are an error (strict). The read-only
 * facts GET shows (`profile`, `bind_addr`, `pinned`) and a pinned key may be sent back as GET gave them, so
 * a client can PUT what it read with one field changed; a different value of any of them is refused.
 */
export const SettingsUpdateSchema = SettingsChangeSchema.extend({
  profile: z.enum(["home", "cloud"]).optional(),
  bind_addr: z.string().optional(),
  pinned: z.array(PinnedSettingSchema).optional(),
});
export type SettingsUpdate = z.infer<typeof SettingsUpdateSchema>;
