import { z } from "zod";
import { NodeIdSchema, PoolIdSchema } from "../common/ids.js";

export const PlacementModeSchema = z.enum(["pin", "prefer", "auto"]);
export type PlacementMode = z.infer<typeof PlacementModeSchema>;

/** The placement fields alone, as a journaled task holds them (rows written before a rule of the overrides still read). */
export const PlacementFieldsSchema = z.strictObject({
  mode: PlacementModeSchema.default("auto"),
  pin_pool_id: PoolIdSchema.optional(),
  pin_node_id: NodeIdSchema.optional(),
  prefer_pools: z.array(PoolIdSchema).max(256).optional(),
  avoid_pools: z.array(PoolIdSchema).max(256).optional(),
  avoid_nodes: z.array(NodeIdSchema).max(256).optional(),
  require_device_mask: z.string().max(64).optional(),
  allow_fallback: z.boolean().default(true),
});

/**
 * Placement overrides (spec §2.2, §5.4). pin: only pin_pool_id / pin_node_id, never fall back.
 * prefer: prefer_pools first, all others if allow_fallback. auto: automatic.
 */
export const PlacementOverridesSchema = PlacementFieldsSchema.superRefine((p, ctx) => {
  if (p.mode === "pin" && p.pin_pool_id === undefined && p.pin_node_id === undefined) {
    ctx.addIssue({ code: "custom", path: ["pin_pool_id"], message: "mode pin needs pin_pool_id or pin_node_id" });
  }
  // Each mode reads its own fields only: another mode's field would be ignored, so it is refused by name.
  for (const field of ["pin_pool_id", "pin_node_id"] as const) {
    if (p.mode !== "pin" && p[field] !== undefined) ctx.addIssue({ code: "custom", path: [field], message: `${field} is used only with mode "pin" (mode is "${p.mode}"): add "mode": "pin"` });
  }
  if (p.mode !== "prefer" && p.prefer_pools !== undefined && p.prefer_pools.length > 0) {
    ctx.addIssue({ code: "custom", path: ["prefer_pools"], message: `prefer_pools is used only with mode "prefer" (mode is "${p.mode}"): add "mode": "prefer"` });
  }
  if (p.mode === "prefer" && (p.prefer_pools === undefined || p.prefer_pools.length === 0)) {
    ctx.addIssue({ code: "custom", path: ["prefer_pools"], message: "mode prefer needs prefer_pools (the pools to try first)" });
  }
});
export type PlacementOverrides = z.infer<typeof PlacementOverridesSchema>;

/**
 * The compatible surfaces (/v1 chat and completions) have no placement field; this request header pins
 * a task to one node (the dashboard's Playground uses it to talk to a model on a chosen node).
 */
export const PIN_NODE_HEADER = "X-Llorch-Pin-Node";

export const PlacementStrategySchema = z.enum(["least-loaded", "round-robin", "random"]);
export type PlacementStrategy = z.infer<typeof PlacementStrategySchema>;

/** One (node, pool) the placer looked at, and why it lost if it did. */
export const PlacementCandidateSchema = z.object({
  node_id: NodeIdSchema,
  pool_id: PoolIdSchema,
  eligible: z.boolean(),
  /** Filter names that excluded the candidate, e.g. "draining", "no_free_slot", "model_missing". */
  reasons_rejected: z.array(z.string()),
  score: z.number().optional(),
});
export type PlacementCandidate = z.infer<typeof PlacementCandidateSchema>;

/** Why a task went where it went: the decision plus every candidate considered. */
export const PlacementExplanationSchema = z.object({
  decision: z
    .object({
      node_id: NodeIdSchema,
      pool_id: PoolIdSchema,
      strategy: PlacementStrategySchema,
      score: z.number().optional(),
      pinned: z.boolean(),
      fallback_used: z.boolean(),
      /** Tie-breakers applied in order, e.g. ["session_affinity", "model_warm", "least_busy"]. */
      tie_breakers: z.array(z.string()).optional(),
    })
    .nullable(),
  candidates: z.array(PlacementCandidateSchema),
});
export type PlacementExplanation = z.infer<typeof PlacementExplanationSchema>;
