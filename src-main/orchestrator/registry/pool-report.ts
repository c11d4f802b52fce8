import type { PoolSnapshot } from "../../../src-shared/nodes/pool-snapshot.js";

/**
 * True when two pool reports agree on everything placement and the dashboard's state view depend on
 * (readiness, drain, slots, loaded and available models, device). Free slots, free VRAM and speed
 * move with every heartbeat: placement counts slots itself, and the periodic pass rechecks VRAM.
 */
export function samePlacementFacts(a: readonly PoolSnapshot[], b: readonly PoolSnapshot[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const p = a[i] as PoolSnapshot;
    const q = b[i] as PoolSnapshot;
    if (p.pool_id !== q.pool_id || p.ready !== q.ready || p.draining !== q.draining || p.slots_total !== q.slots_total) return false;
    if (p.model?.sha256 !== q.model?.sha256 || p.device_mask !== q.device_mask || p.engine !== q.engine) return false;
    if (p.models_available.length !== q.models_available.length) return false;
    for (let j = 0; j < p.models_available.length; j++) if (p.models_available[j] !== q.models_available[j]) return false;
  }
  return true;
}
