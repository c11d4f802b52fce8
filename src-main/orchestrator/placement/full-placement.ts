import { firstRejection } from "./first-rejection.js";
import { isDown } from "./pool-down.js";
import type { CandidateScore, CandidateVerdict, EagerPlacementDecision, NoCapacityFields, PlacementCandidate, PlacementPolicy, PlacementRequest } from "./placement-types.js";

/**
 * The eager placement: every candidate gets its verdict and every loser the reasons it lost. It is
 * O(candidates) string work, so the hot path (placeTask) does not run it; it is the reference the
 * fast path must agree with, the lazy explanation (recomputed from the decision's own snapshot) and
 * the no-capacity path (which needs the blockers' words to tell waiting from failing).
 */
export function explainPlacement(request: PlacementRequest, candidates: readonly PlacementCandidate[], policy: PlacementPolicy): EagerPlacementDecision {
  const sorted = [...candidates].sort(byId);
  const pinned = request.mode === "pin";

  if (pinned) {
    const pinError = checkPin(request, sorted);
    if (pinError) return { ...pinError, pinned, candidates: sorted.map((c) => verdict(c, request)) };
  }

  const skipEjected = ejectionApplies(sorted, request);
  let verdicts = sorted.map((c) => verdict(c, request, skipEjected));
  let fallbackUsed = false;
  if (request.mode === "prefer" && request.prefer_pools && request.prefer_pools.length > 0) {
    const preferred = verdicts.filter((v) => v.eligible && request.prefer_pools?.includes(v.pool_id));
    if (preferred.length > 0) {
      verdicts = verdicts.map((v) => (v.eligible && !request.prefer_pools?.includes(v.pool_id) ? reject(v, "not in prefer_pools (a preferred pool is available)") : v));
    } else if (!request.allow_fallback) {
      verdicts = verdicts.map((v) => (v.eligible ? reject(v, "not in prefer_pools and allow_fallback is false") : v));
    } else {
      fallbackUsed = verdicts.some((v) => v.eligible);
    }
  }

  const eligible = verdicts.filter((v) => v.eligible).sort(byScore);
  eligible.forEach((v, i) => (v.rank = i + 1));
  if (eligible.length === 0) return { ...noCapacity(request, sorted, verdicts), pinned, candidates: verdicts };

  const chosen = pick(eligible, policy);
  const reasons = withWaiver(explain(chosen.score, eligible.length, policy), skipEjected ? null : (sorted.find((c) => c.pool_id === chosen.pool_id)?.ejected ?? null));
  for (const v of eligible) if (v !== chosen) v.rejected_because.push(lostTo(v, chosen, policy));
  return {
    outcome: "assigned",
    node_id: chosen.node_id,
    pool_id: chosen.pool_id,
    strategy: policy.strategy,
    reasons,
    pinned,
    fallback_used: fallbackUsed,
    candidates: verdicts,
  };
}

/**
 * Whether ejected pools are skipped: only while a pool that is not ejected passes every filter but a free
 * slot (it can serve the model, now or once a slot frees). Never eject the last pool that could serve it
 * (Envoy's max ejection percent): a failing sole holder still serves what it can.
 */
export function ejectionApplies(candidates: readonly PlacementCandidate[], r: PlacementRequest): boolean {
  return candidates.some((c) => {
    if (c.ejected !== undefined) return false;
    const why = firstRejection(c, r);
    return why === null || why === "no_free_slot";
  });
}

/** The winner's reasons, plus a note when it is ejected and placed on only because nothing else can serve. */
export function withWaiver(reasons: string[], ejected: string | null): string[] {
  if (ejected !== null) reasons.push(`${ejected}, but no other pool can serve the model: placed here anyway`);
  return reasons;
}

export function verdict(c: PlacementCandidate, r: PlacementRequest, skipEjected = false): CandidateVerdict {
  const reasons: string[] = [];
  if (skipEjected && c.ejected !== undefined) reasons.push(c.ejected);
  if (!c.node_schedulable) reasons.push(`node ${c.node_state}`);
  if (r.exclude_nodes?.includes(c.node_id)) reasons.push("node already failed this task");
  if (r.avoid_nodes?.includes(c.node_id)) reasons.push("node in avoid_nodes");
  if (r.avoid_pools?.includes(c.pool_id)) reasons.push("pool in avoid_pools");
  if (r.mode === "pin" && r.pin_pool_id !== undefined && c.pool_id !== r.pin_pool_id) reasons.push(`not the pinned pool ${r.pin_pool_id}`);
  if (r.mode === "pin" && r.pin_node_id !== undefined && c.node_id !== r.pin_node_id) reasons.push(`not on the pinned node ${r.pin_node_id}`);
  if (r.require_device_mask !== undefined && c.device_mask !== r.require_device_mask) reasons.push(`device mask ${c.device_mask ?? "unknown"} ≠ required ${r.require_device_mask}`);
  if (!c.ready) reasons.push("pool not ready");
  if (c.draining) reasons.push("pool draining");
  const warm = c.loaded_model === r.model_sha256;
  if (!warm && !c.models_available.includes(r.model_sha256)) reasons.push("model not present on this pool");
  else if (!warm && r.model_size_bytes !== undefined && c.device_mask !== "cpu" && c.vram_free_bytes < r.model_size_bytes) {
    reasons.push(`VRAM short: ${c.vram_free_bytes} B free < ${r.model_size_bytes} B needed`);
  }
  if (c.slots_free <= 0) reasons.push(`no free slot (${c.slots_total} of ${c.slots_total} busy)`);
  if (reasons.length > 0) return { node_id: c.node_id, pool_id: c.pool_id, eligible: false, rejected_because: reasons };
  return {
    node_id: c.node_id,
    pool_id: c.pool_id,
    eligible: true,
    rejected_because: [],
    score: {
      session_affinity: r.session_pool_id === c.pool_id,
      model_warm: warm,
      busy_slots: c.slots_total - c.slots_free,
      slots_free: c.slots_free,
      vram_free_bytes: c.vram_free_bytes,
    },
  };
}

function reject(v: CandidateVerdict, reason: string): CandidateVerdict {
  const { score: _score, ...rest } = v;
  return { ...rest, eligible: false, rejected_because: [...v.rejected_because, reason] };
}

// Same order as String#localeCompare() without arguments, without building a collator per call.
const collator = new Intl.Collator();

export function byId(a: { node_id: string; pool_id: string }, b: { node_id: string; pool_id: string }): number {
  return collator.compare(a.node_id, b.node_id) || collator.compare(a.pool_id, b.pool_id);
}

type Scored = { node_id: string; pool_id: string; score?: CandidateScore | undefined };

/** Best first: affinity, warm, fewest busy slots, most free VRAM, then id. */
export function byScore(a: Scored, b: Scored): number {
  const sa = a.score;
  const sb = b.score;
  if (!sa || !sb) return byId(a, b);
  return (
    Number(sb.session_affinity) - Number(sa.session_affinity) ||
    Number(sb.model_warm) - Number(sa.model_warm) ||
    sa.busy_slots - sb.busy_slots ||
    sb.vram_free_bytes - sa.vram_free_bytes ||
    byId(a, b)
  );
}

function pick(eligible: CandidateVerdict[], policy: PlacementPolicy): CandidateVerdict {
  const first = eligible[0] as CandidateVerdict;
  // Session affinity beats every strategy: the KV cache of the conversation lives there.
  if (first.score?.session_affinity) return first;
  switch (policy.strategy) {
    case "least-loaded":
      return first;
    case "round-robin":
      return [...eligible].sort(byId)[policy.sequence % eligible.length] as CandidateVerdict;
    case "random":
      return [...eligible].sort(byId)[Math.floor(seededUnit(policy.seed, policy.sequence) * eligible.length)] as CandidateVerdict;
  }
}

/** A deterministic number in [0,1) from (seed, sequence): mulberry32 of their mix. */
export function seededUnit(seed: number, sequence: number): number {
  let t = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(sequence, 0xc2b2ae35)) >>> 0;
  t = (t + 0x6d2b79f5) >>> 0;
  let r = Math.imul(t ^ (t >>> 15), 1 | t);
  r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
  return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
}

export function explain(s: CandidateVerdict["score"], eligibleCount: number, policy: PlacementPolicy): string[] {
  const reasons: string[] = [];
  if (s?.session_affinity) reasons.push("session affinity (its KV cache is on this pool)");
  else if (policy.strategy === "round-robin") reasons.push(`round-robin turn ${policy.sequence % eligibleCount + 1} of ${eligibleCount}`);
  else if (policy.strategy === "random") reasons.push(`random draw among ${eligibleCount} eligible pool(s)`);
  if (s?.model_warm) reasons.push("model already loaded (warm)");
  if (s) reasons.push(`least busy: ${s.busy_slots} busy, ${s.slots_free} free slot(s)`);
  if (eligibleCount === 1) reasons.push("the only eligible pool");
  return reasons;
}

function lostTo(v: CandidateVerdict, chosen: CandidateVerdict, policy: PlacementPolicy): string {
  const a = v.score;
  const b = chosen.score;
  if (!a || !b) return `lost to ${chosen.pool_id}`;
  if (b.session_affinity && !a.session_affinity) return `lost to ${chosen.pool_id}: session affinity`;
  if (policy.strategy !== "least-loaded") return `lost to ${chosen.pool_id}: ${policy.strategy} choice`;
  if (b.model_warm && !a.model_warm) return `lost to ${chosen.pool_id}: model warm there`;
  if (a.busy_slots !== b.busy_slots) return `lost to ${chosen.pool_id}: busier (${a.busy_slots} vs ${b.busy_slots} busy slots)`;
  if (a.vram_free_bytes !== b.vram_free_bytes) return `lost to ${chosen.pool_id}: less free VRAM`;
  return `lost to ${chosen.pool_id}: tie broken by id`;
}

export function checkPin(r: PlacementRequest, candidates: readonly PlacementCandidate[]): Omit<NoCapacityFields, "pinned"> | null {
  if (r.pin_node_id !== undefined) {
    const onNode = candidates.filter((c) => c.node_id === r.pin_node_id);
    if (onNode.length === 0) return { outcome: "no_capacity", code: "NODE_UNAVAILABLE", message: `pinned node ${r.pin_node_id} is not known`, transient: false };
    // Waited for only while it is coming back (Suspect, Registering), as an unpinned task waits for its holders:
    // before, a task queued with a pin to a node that then went Offline (or was drained) waited silently until
    // its deadline (10 minutes by default), while a new request with the same pin got a 503 at once.
    if (!onNode.some((c) => c.node_schedulable)) return { outcome: "no_capacity", code: "NODE_UNAVAILABLE", message: `pinned node ${r.pin_node_id} is ${onNode[0]?.node_state}`, transient: onNode.some(comingBack) };
  }
  if (r.pin_pool_id !== undefined) {
    const pool = candidates.find((c) => c.pool_id === r.pin_pool_id);
    if (pool === undefined) return { outcome: "no_capacity", code: "INVALID_PARAMS", message: `pinned pool ${r.pin_pool_id} is not known`, transient: false };
    if (pool.loaded_model !== r.model_sha256 && !pool.models_available.includes(r.model_sha256)) {
      return { outcome: "no_capacity", code: "MODEL_NOT_AVAILABLE", message: `pinned pool ${r.pin_pool_id} does not hold the model`, transient: false };
    }
    if (!pool.node_schedulable) return { outcome: "no_capacity", code: "NODE_UNAVAILABLE", message: `node of pinned pool ${r.pin_pool_id} is ${pool.node_state}`, transient: comingBack(pool) };
    // A pool that is down and not restarting by itself (circuit open, gave up) is not waited for either.
    if (!pool.ready || pool.draining) return { outcome: "no_capacity", code: "POOL_UNREADY", message: isDown(pool) ? `pinned pool ${r.pin_pool_id} is down and not restarting by itself (see its last_error in GET /v2/nodes)` : `pinned pool ${r.pin_pool_id} is not ready`, transient: !isDown(pool) };
  }
  if (r.pin_pool_id === undefined && r.pin_node_id === undefined) {
    return { outcome: "no_capacity", code: "INVALID_PARAMS", message: "placement.mode=pin needs pin_pool_id or pin_node_id", transient: false };
  }
  return null;
}

/**
 * A holder whose node is not schedulable now but will be Online again or Offline within node_timeout_ms
 * by itself: Suspect (a missed heartbeat, a paused process), or Registering (it registered again, after an
 * agent restart or a heartbeat's 404, and its first heartbeat is due; without one it turns Suspect, then
 * Offline). Before, a queued task whose only holder re-registered failed at once with MODEL_NOT_AVAILABLE
 * ("offline or draining") in the moment between the registration and that heartbeat (fleetops adversary).
 */
function comingBack(c: PlacementCandidate): boolean {
  return c.node_state === "Suspect" || c.node_state === "Registering";
}

function noCapacity(r: PlacementRequest, candidates: readonly PlacementCandidate[], verdicts: CandidateVerdict[]): Omit<NoCapacityFields, "pinned"> {
  const holders = candidates.filter((c) => c.loaded_model === r.model_sha256 || c.models_available.includes(r.model_sha256));
  if (holders.length === 0) return { outcome: "no_capacity", code: "MODEL_NOT_AVAILABLE", message: "no node holds the model", transient: false };
  const excluded = new Set(r.exclude_nodes ?? []);
  const onlineHolders = holders.filter((c) => c.node_schedulable && !excluded.has(c.node_id));
  if (onlineHolders.length === 0) {
    // Never wait silently for a holder that is gone: wait only while one is coming back (Suspect or
    // Registering: Online again or Offline within node_timeout_ms), else end now with a retriable error.
    if (holders.some((c) => comingBack(c) && !excluded.has(c.node_id))) {
      return { outcome: "no_capacity", code: "MODEL_NOT_AVAILABLE", message: "every node holding the model is unreachable right now (one is Suspect or re-registering: Online again or Offline within seconds); retry shortly", transient: true };
    }
    if (holders.some((c) => excluded.has(c.node_id))) {
      return { outcome: "no_capacity", code: "REPLICA_EXHAUSTED", message: "every node holding the model failed this task or is offline or draining", transient: false };
    }
    return { outcome: "no_capacity", code: "MODEL_NOT_AVAILABLE", message: "every node holding the model is offline or draining", transient: false };
  }
  // Every pool holding the model is down and will not come back by itself (its engine's restarts are paused
  // by the circuit breaker, or it gave up): waiting cannot help. Before, a queued or rescued task waited
  // for such a pool until its deadline (10 minutes by default) while new requests were refused at once.
  // A holder whose node is Suspect (a missed heartbeat, a paused process) is Online again or Offline within
  // node_timeout_ms: while one is, the task waits for it (the fault suite caught a task failed at once here
  // while the other holders' workers were only paused).
  const suspectHolder = holders.some((c) => comingBack(c) && !excluded.has(c.node_id));
  if (onlineHolders.every(isDown) && !suspectHolder) {
    return { outcome: "no_capacity", code: "POOL_UNAVAILABLE", message: "every pool holding the model is down and not restarting by itself (restarts paused after repeated engine failures, or given up): see the pool's last_error in GET /v2/nodes", transient: false };
  }
  // Holders are online: if only slots, readiness or drain stand in the way, waiting helps.
  const blockers = verdicts.filter((v) => onlineHolders.some((c) => c.pool_id === v.pool_id)).flatMap((v) => v.rejected_because);
  const permanent = blockers.some((b) => b.startsWith("VRAM short") || b.includes("avoid_") || b.includes("device mask") || b.includes("prefer_pools"));
  return {
    outcome: "no_capacity",
    code: "POOL_UNAVAILABLE",
    message: permanent ? "no pool holding the model passes the placement constraints" : "every pool holding the model is busy or not ready",
    transient: !permanent,
  };
}
