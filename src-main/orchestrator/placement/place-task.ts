import { firstRejection } from "./first-rejection.js";
import { byId, checkPin, explain, explainPlacement, seededUnit, withWaiver } from "./full-placement.js";
import { withLazyCandidates } from "./lazy-candidates.js";
import type { CandidateScore, PlacementCandidate, PlacementDecision, PlacementPolicy, PlacementRequest, PlacementSummary, RankedCandidate, RejectionFilter } from "./placement-types.js";

/** How many of the best eligible candidates a decision keeps eagerly (the dashboard's "runners-up"). */
const TOP = 3;

/**
 * Chooses the pool for a task. Pure and deterministic: the same (request, candidates, policy) always
 * gives the same decision, whatever the candidates' order. Filters (model present, node schedulable,
 * overrides, pool ready, not draining, VRAM fits, slot free) run first; eligible candidates are
 * ordered by session affinity → model warm → least busy → most free VRAM → (node_id, pool_id), and the
 * strategy picks among them.
 *
 * Only eligible candidates are scored, and nothing is sorted unless a strategy needs the id order of
 * an unsorted input. The decision keeps a summary (top candidates, rejections per filter); why every
 * other candidate lost (`candidates`) is recomputed by explainPlacement() on first read, from the
 * snapshot kept with the decision: the caller must not mutate `candidates` afterwards.
 *
 * `holders`, when the caller keeps an index by model, are the candidates of the same snapshot that hold
 * the requested model (loaded or available); only they are looked at, the rest count as model_missing.
 * The decision is the same with or without it.
 */
export function placeTask(request: PlacementRequest, candidates: readonly PlacementCandidate[], policy: PlacementPolicy, holders?: readonly PlacementCandidate[]): PlacementDecision {
  // The caller may grow its arrays later (exclude_nodes is the task's attempted_nodes): keep copies.
  const basis = { request: { ...request, exclude_nodes: request.exclude_nodes?.slice() }, candidates, policy: { ...policy } };
  const explainLater = () => explainPlacement(basis.request, basis.candidates, basis.policy).candidates;
  const pinned = request.mode === "pin";

  const rejected: Partial<Record<RejectionFilter, number>> = {};
  const scanned = holders ?? candidates;
  if (scanned.length < candidates.length) rejected.model_missing = candidates.length - scanned.length;
  // The candidates themselves, no object per eligible pool: allocation showed as GC in the profile.
  let eligible: PlacementCandidate[] = [];
  // Ejected pools that pass every filter but a free slot, set aside (allocated only when there is one):
  // they are skipped only while another pool could serve the model, else they keep getting tasks.
  let ejected: PlacementCandidate[] | null = null;
  let usable = 0;
  for (const c of scanned) {
    const why = firstRejection(c, request);
    if (c.ejected !== undefined && (why === null || why === "no_free_slot")) {
      (ejected ??= []).push(c);
      continue;
    }
    if (why === null || why === "no_free_slot") usable++;
    if (why !== null) rejected[why] = (rejected[why] ?? 0) + 1;
    else eligible.push(c);
  }
  const ejectionWaived = ejected !== null && usable === 0;
  if (ejected !== null) {
    if (!ejectionWaived) rejected.pool_ejected = ejected.length;
    else {
      for (const c of ejected) {
        if (c.slots_free > 0) eligible.push(c);
        else rejected.no_free_slot = (rejected.no_free_slot ?? 0) + 1;
      }
    }
  }

  let fallbackUsed = false;
  const prefer = request.mode === "prefer" && request.prefer_pools !== undefined && request.prefer_pools.length > 0 ? request.prefer_pools : null;
  if (prefer !== null) {
    const preferred = eligible.filter((e) => prefer.includes(e.pool_id));
    if (preferred.length > 0 || !request.allow_fallback) {
      if (eligible.length > preferred.length) rejected.not_preferred = eligible.length - preferred.length;
      eligible = preferred;
    } else {
      fallbackUsed = eligible.length > 0;
    }
  }
  const summary: PlacementSummary = { considered: candidates.length, eligible: eligible.length, top: topOf(eligible, request), rejected };

  const pinError = pinned ? checkPin(request, candidates) : null;
  if (pinError !== null) return withLazyCandidates({ ...pinError, pinned, summary }, explainLater);
  if (eligible.length === 0) {
    // Telling "wait" from "fail" needs the blockers' words: the eager path, which has them.
    const { candidates: verdicts, ...decision } = explainPlacement(basis.request, candidates, basis.policy);
    return withLazyCandidates({ ...decision, summary }, () => verdicts);
  }

  const best = summary.top[0] as RankedCandidate;
  const turn = strategyTurn(eligible, best, policy);
  const chosen = turn === null ? best : { node_id: turn.node_id, pool_id: turn.pool_id, score: scoreOf(turn, request) };
  return withLazyCandidates(
    {
      outcome: "assigned" as const,
      node_id: chosen.node_id,
      pool_id: chosen.pool_id,
      strategy: policy.strategy,
      reasons: withWaiver(explain(chosen.score, eligible.length, policy), ejectionWaived ? (ejected?.find((c) => c.pool_id === chosen.pool_id)?.ejected ?? null) : null),
      pinned,
      fallback_used: fallbackUsed,
      summary,
    },
    explainLater,
  );
}

function scoreOf(c: PlacementCandidate, r: PlacementRequest): CandidateScore {
  return {
    session_affinity: r.session_pool_id === c.pool_id,
    model_warm: c.loaded_model === r.model_sha256,
    busy_slots: c.slots_total - c.slots_free,
    slots_free: c.slots_free,
    vram_free_bytes: c.vram_free_bytes,
  };
}

/** byScore's order (full-placement.ts) read straight from the candidates, without a score object each. */
function better(a: PlacementCandidate, b: PlacementCandidate, r: PlacementRequest): number {
  return (
    Number(r.session_pool_id === b.pool_id) - Number(r.session_pool_id === a.pool_id) ||
    Number(b.loaded_model === r.model_sha256) - Number(a.loaded_model === r.model_sha256) ||
    a.slots_total - a.slots_free - (b.slots_total - b.slots_free) ||
    b.vram_free_bytes - a.vram_free_bytes ||
    byId(a, b)
  );
}

/** The best TOP by score, best first: one pass, a small insertion list (no sort of all eligible). */
function topOf(eligible: readonly PlacementCandidate[], r: PlacementRequest): RankedCandidate[] {
  const top: PlacementCandidate[] = [];
  for (const c of eligible) {
    if (top.length === TOP && better(c, top[TOP - 1] as PlacementCandidate, r) >= 0) continue;
    let i = Math.min(top.length, TOP - 1);
    top[i] = c;
    while (i > 0 && better(top[i] as PlacementCandidate, top[i - 1] as PlacementCandidate, r) < 0) {
      [top[i - 1], top[i]] = [top[i] as PlacementCandidate, top[i - 1] as PlacementCandidate];
      i--;
    }
  }
  return top.map((c, i) => ({ node_id: c.node_id, pool_id: c.pool_id, rank: i + 1, score: scoreOf(c, r) }));
}

/** The round-robin or random choice, or null when the best-scored candidate wins. */
function strategyTurn(eligible: readonly PlacementCandidate[], best: RankedCandidate, policy: PlacementPolicy): PlacementCandidate | null {
  // Session affinity beats every strategy: the KV cache of the conversation lives there.
  if (best.score.session_affinity || policy.strategy === "least-loaded") return null;
  const inIdOrder = isSortedById(eligible) ? eligible : [...eligible].sort(byId);
  const index = policy.strategy === "round-robin" ? policy.sequence % eligible.length : Math.floor(seededUnit(policy.seed, policy.sequence) * eligible.length);
  return inIdOrder[index] as PlacementCandidate;
}

/** The registry hands candidates in id order already; checking is linear, sorting is not. */
function isSortedById(list: readonly PlacementCandidate[]): boolean {
  for (let i = 1; i < list.length; i++) if (byId(list[i - 1] as PlacementCandidate, list[i] as PlacementCandidate) > 0) return false;
  return true;
}
