import { isDown } from "../placement/pool-down.js";
import type { PlacementCandidate } from "../placement/placement-types.js";

interface Capacity {
  /** Some schedulable, ready pool holding the model has a free slot. */
  free: boolean;
  /** Some schedulable node holds the model in a pool that is up or coming up (so a task without a free slot only has to wait). */
  holder: boolean;
  /** The schedulable nodes holding the model, found on first need (re-placed tasks). */
  holderNodes?: Set<string>;
  /**
   * An ejected pool has a free slot that `free` does not count, because a ready pool that is not ejected
   * holds the model (placement skips ejected pools then: place-task.ts).
   */
  ejectedFree: boolean;
}

/**
 * Per-model capacity over one pump's candidate snapshot, computed once per model and invalidated when
 * a slot is taken, so a long queue costs one map lookup per waiting task instead of a placement.
 */
export class ModelCapacity {
  private readonly byModel = new Map<string, Capacity>();

  /** `snapshot` is read at each recomputation: the pump replaces its array when it takes a slot. */
  constructor(private readonly snapshot: () => readonly PlacementCandidate[]) {}

  /** True when placement could only answer "wait": a holder is schedulable but no slot is free. */
  mustWait(sha: string): boolean {
    const c = this.of(sha);
    return !c.free && c.holder;
  }

  /** True when some schedulable, ready pool holding the model has a free slot now. */
  hasFreeSlot(sha: string): boolean {
    return this.of(sha).free;
  }

  /**
   * True when a schedulable node other than `excluded` (the nodes that already failed a re-placed task)
   * holds the model. With mustWait, such a task could then only be told to wait, as a fresh one is: no
   * placement (and no explanation of every pool) per pass for it.
   */
  holderBesides(sha: string, excluded: readonly string[]): boolean {
    const c = this.of(sha);
    if (!c.holder) return false;
    if (c.holderNodes === undefined) {
      c.holderNodes = new Set();
      // With an ejected pool's free slot hidden, only nodes that keep placement off it count: had the task
      // failed on all of them, placement would take the ejected pool (the last that can serve it).
      for (const p of this.snapshot()) if (p.node_schedulable && !isDown(p) && (p.loaded_model === sha || p.models_available.includes(sha)) && (!c.ejectedFree || skipsEjected(p))) c.holderNodes.add(p.node_id);
    }
    if (c.holderNodes.size > excluded.length) return true;
    for (const nodeId of c.holderNodes) if (!excluded.includes(nodeId)) return true;
    return false;
  }

  slotTaken(candidate: PlacementCandidate): void {
    if (candidate.loaded_model !== undefined) this.byModel.delete(candidate.loaded_model);
    for (const sha of candidate.models_available) this.byModel.delete(sha);
  }

  private of(sha: string): Capacity {
    let c = this.byModel.get(sha);
    if (c === undefined) {
      c = { free: false, holder: false, ejectedFree: false };
      let skipping = false;
      for (const p of this.snapshot()) {
        // A pool that is down (circuit_open, failed) is no reason to wait: placement then says why not.
        if (!p.node_schedulable || isDown(p) || (p.loaded_model !== sha && !p.models_available.includes(sha))) continue;
        c.holder = true;
        if (!(p.ready && !p.draining && p.slots_free > 0)) skipping ||= skipsEjected(p);
        else if (p.ejected !== undefined) c.ejectedFree = true;
        else {
          c.free = true;
          break;
        }
      }
      // An ejected pool's free slots count only when it is the model's last usable holder (the rule
      // placement uses), else a deep queue would be walked and placed task by task for the whole ejection.
      if (!c.free && c.ejectedFree && !skipping) {
        c.free = true;
        c.ejectedFree = false;
      }
      this.byModel.set(sha, c);
    }
    return c;
  }
}

/** A holder that is not ejected and ready: while one exists, placement skips ejected pools (full-placement.ts ejectionApplies). */
function skipsEjected(p: PlacementCandidate): boolean {
  return p.ejected === undefined && p.ready && !p.draining;
}
