import type { PlacementCandidate } from "../placement/placement-types.js";

/**
 * Which candidates of one pump's snapshot hold a model (loaded or available), found once per model per
 * pump instead of once per task: placement then looks only at the pools that can serve. An assignment
 * replaces one candidate in the snapshot; the lists of that pool's models are dropped and found again.
 */
export class HoldersByModel {
  private readonly byModel = new Map<string, PlacementCandidate[]>();

  constructor(private readonly snapshot: () => readonly PlacementCandidate[]) {}

  of(sha: string): readonly PlacementCandidate[] {
    let holders = this.byModel.get(sha);
    if (holders === undefined) {
      holders = this.snapshot().filter((c) => c.loaded_model === sha || c.models_available.includes(sha));
      this.byModel.set(sha, holders);
    }
    return holders;
  }

  replaced(candidate: PlacementCandidate): void {
    if (candidate.loaded_model !== undefined) this.byModel.delete(candidate.loaded_model);
    for (const sha of candidate.models_available) this.byModel.delete(sha);
  }
}
