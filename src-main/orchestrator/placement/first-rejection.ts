import type { PlacementCandidate, PlacementRequest, RejectionFilter } from "./placement-types.js";

/**
 * The first filter a candidate fails, or null when it is eligible: the same filters as the eager
 * verdict (full-placement.ts) without building its sentences. Model first: at scale most pools do not
 * hold the model, and that check is one comparison and a short includes().
 */
export function firstRejection(c: PlacementCandidate, r: PlacementRequest): RejectionFilter | null {
  const warm = c.loaded_model === r.model_sha256;
  if (!warm && !c.models_available.includes(r.model_sha256)) return "model_missing";
  if (!c.node_schedulable) return "node_unschedulable";
  if (r.exclude_nodes?.includes(c.node_id)) return "node_failed_task";
  if (r.avoid_nodes?.includes(c.node_id)) return "node_avoided";
  if (r.avoid_pools?.includes(c.pool_id)) return "pool_avoided";
  if (r.mode === "pin" && ((r.pin_pool_id !== undefined && c.pool_id !== r.pin_pool_id) || (r.pin_node_id !== undefined && c.node_id !== r.pin_node_id))) return "not_pinned";
  if (r.require_device_mask !== undefined && c.device_mask !== r.require_device_mask) return "device_mask";
  if (!c.ready) return "pool_not_ready";
  if (c.draining) return "pool_draining";
  if (!warm && r.model_size_bytes !== undefined && c.device_mask !== "cpu" && c.vram_free_bytes < r.model_size_bytes) return "vram_short";
  if (c.slots_free <= 0) return "no_free_slot";
  return null;
}
