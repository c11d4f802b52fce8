/** What source choice needs to know about a node. */
export interface SourceCandidate {
  node_id: string;
  online: boolean;
  /** Operator drain: never a source. */
  drained: boolean;
  /** Reports a verified copy of the model. */
  holds: boolean;
  /** Tasks running on its pools (slots_total − slots_free). */
  busy_slots: number;
  /** Staging transfers it is serving right now. */
  outgoing: number;
}

export interface SourceChoiceInput {
  candidates: readonly SourceCandidate[];
  target_node_id: string;
  /** Restricts sources to these, in this order of preference (empty: any holder). */
  preferred: readonly string[];
  /** Sources that failed this job, oldest first: used only when no other source is left. */
  failed: readonly string[];
}

/**
 * Picks the node a target pulls from: an Online, undrained holder other than the target. Order:
 * sources that have not failed this job first (then the one that failed longest ago), the
 * operator's preference, fewest transfers already served (spreads several targets over holders),
 * fewest busy slots (idle nodes first), node id. Null when nobody can serve.
 */
export function chooseSource(input: SourceChoiceInput): string | null {
  const eligible = input.candidates.filter(
    (c) => c.holds && c.online && !c.drained && c.node_id !== input.target_node_id && (input.preferred.length === 0 || input.preferred.includes(c.node_id)),
  );
  const failedRank = (id: string): number => {
    const i = input.failed.lastIndexOf(id);
    return i < 0 ? -1 : i;
  };
  const preferenceRank = (id: string): number => (input.preferred.length === 0 ? 0 : input.preferred.indexOf(id));
  const sorted = [...eligible].sort(
    (a, b) =>
      failedRank(a.node_id) - failedRank(b.node_id) ||
      preferenceRank(a.node_id) - preferenceRank(b.node_id) ||
      a.outgoing - b.outgoing ||
      a.busy_slots - b.busy_slots ||
      a.node_id.localeCompare(b.node_id),
  );
  return sorted[0]?.node_id ?? null;
}
