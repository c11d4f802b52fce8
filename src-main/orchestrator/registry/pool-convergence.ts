import type { NodeStatus } from "../../../src-shared/nodes/node-info.js";
import type { PoolDesired } from "../../../src-shared/nodes/pool-desired.js";
import type { PoolSnapshot } from "../../../src-shared/nodes/pool-snapshot.js";

/** A command that moves a pool toward its desired state. Resume reloads the pool's model once the worker shows it stopped. */
export type PoolAction = { kind: "drain"; deadline_ms: number } | { kind: "reload" | "resume"; model: string; deadline_ms: number };

export type Convergence =
  | { state: "converged"; detail: string }
  | { state: "waiting"; detail: string }
  | { state: "diverged"; action: PoolAction; detail: string };

/**
 * Desired vs observed for one pool (pure): converged, waiting for the worker (nothing to send),
 * or diverged with the command that closes the gap. Drain is converged once the pool stops
 * serving (draining, or stopped after the drain); a reload once the pool reports the model.
 */
export function converge(desired: PoolDesired, observed: PoolSnapshot | undefined, nodeStatus: NodeStatus | undefined, modelName: (sha256: string) => string): Convergence {
  const target = desired.model !== null ? modelName(desired.model) : null;
  const intent = desired.draining ? "draining (requested)" : target !== null && observed?.model?.sha256 !== desired.model ? `reloading to ${target}` : "resuming";
  if (observed === undefined || nodeStatus !== "Online") return { state: "waiting", detail: `${intent}; waiting for the node to report` };
  if (desired.draining) {
    if (observed.draining) return { state: "converged", detail: "draining (worker finishing running tasks)" };
    if (!observed.ready) return { state: "converged", detail: "drained" };
    return { state: "diverged", action: { kind: "drain", deadline_ms: desired.drain_deadline_ms }, detail: intent };
  }
  if (desired.model !== null && observed.model?.sha256 !== desired.model) {
    // The worker drains before it loads: a reload under way shows the old model, draining.
    if (observed.draining) return { state: "waiting", detail: `${intent} (worker draining)` };
    return { state: "diverged", action: { kind: "reload", model: desired.model, deadline_ms: desired.drain_deadline_ms }, detail: intent };
  }
  if (!observed.ready) {
    if (observed.draining) return { state: "waiting", detail: "resuming (worker still draining)" };
    const model = desired.model ?? observed.model?.sha256;
    if (model === undefined) return { state: "waiting", detail: "resuming: the pool reports no model to load" };
    return { state: "diverged", action: { kind: "resume", model, deadline_ms: desired.drain_deadline_ms }, detail: target !== null ? `loading ${target}` : "resuming" };
  }
  if (desired.slots !== null && observed.slots_total !== desired.slots) {
    return { state: "waiting", detail: `${desired.slots} slots requested, ${observed.slots_total} reported: workers cannot resize a pool at run time` };
  }
  return { state: "converged", detail: target !== null ? `serving ${target}` : "serving" };
}

/**
 * Why the desired state keeps new placements off the pool, or null. It holds from the moment the
 * operator asks, before any worker has heard of it (this replaces optimistic drain marks).
 */
export function placementHold(desired: PoolDesired | undefined, observed: PoolSnapshot): string | null {
  if (desired === undefined) return null;
  if (desired.draining) return "draining (requested)";
  if (desired.model !== null && observed.model?.sha256 !== desired.model) return "reloading (requested)";
  return null;
}
