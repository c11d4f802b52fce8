import type { PlacementCandidate } from "../placement/placement-types.js";
import type { NodeRegistry } from "../registry/node-registry.js";

/**
 * Placement candidates from one registry snapshot: every pool of every node, with the slots the
 * orchestrator has in flight on it subtracted from what the pool reports, and the pool's ejection if it
 * is ejected now (outlier ejection: a Map lookup per pool).
 */
export function poolCandidates(registry: NodeRegistry, inflightOn: (poolId: string) => number, ejected: (poolId: string) => string | undefined = () => undefined): PlacementCandidate[] {
  const out: PlacementCandidate[] = [];
  for (const node of registry.list()) {
    const schedulable = node.status === "Online" && node.eligibility === "eligible";
    for (const pool of node.pools) {
      out.push({
        node_id: node.node_id,
        pool_id: pool.pool_id,
        node_schedulable: schedulable,
        node_state: node.status === "Online" && node.eligibility === "ineligible" ? "ineligible (drained)" : node.status,
        ready: pool.ready,
        // A failed pool also reports not ready, but with its error: only an error-free one is coming up.
        // Coming up: loading with no error yet, or restarting after a crash (backoff, then loading again).
        loading: !pool.ready && !pool.draining && ((pool.last_error ?? null) === null || pool.state === "backoff" || pool.state === "loading"),
        // The operator's desired state (drain, reload) holds from the moment it was asked.
        draining: pool.draining || registry.placementHold(pool) !== null,
        slots_total: pool.slots_total,
        slots_free: Math.max(0, pool.slots_total - inflightOn(pool.pool_id)),
        vram_free_bytes: pool.vram_free_bytes,
        device_mask: pool.device_mask,
        models_available: pool.models_available,
        loaded_model: pool.model?.sha256,
        tokens_per_second: pool.tokens_per_second,
        ejected: ejected(pool.pool_id),
      });
    }
  }
  return out;
}
