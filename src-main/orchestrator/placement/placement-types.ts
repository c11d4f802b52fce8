import type { PlacementStrategy } from "../../../src-shared/config/orchestrator-config.js";
import type { ErrorCode } from "../../../src-shared/errors/error-codes.js";

/** One pool on one node as placement sees it: a snapshot, never a live object. */
export interface PlacementCandidate {
  node_id: string;
  pool_id: string;
  node_schedulable: boolean;
  /** Why the node is not schedulable (status, drain), for the explanation. */
  node_state: string;
  ready: boolean;
  /** Not ready yet but coming up: starting its engine, no error, not draining (admission lets tasks wait for it). */
  loading?: boolean | undefined;
  draining: boolean;
  slots_total: number;
  /** Free slots after the orchestrator's own in-flight dispatches. */
  slots_free: number;
  vram_free_bytes: number;
  device_mask?: string | undefined;
  /** sha256 of models the pool can serve without staging. */
  models_available: readonly string[];
  /** sha256 of the model loaded right now (warm). */
  loaded_model?: string | undefined;
  /** Decode speed the pool reports (not used to place; predicted start times use it before the orchestrator has measured the model). */
  tokens_per_second?: number | undefined;
  /**
   * Set while the pool is ejected for failing tasks before their first token (outlier ejection): the
   * sentence placement shows. Placement skips it unless no other pool could serve the model.
   */
  ejected?: string | undefined;
}

export interface PlacementRequest {
  model_sha256: string;
  model_size_bytes?: number | undefined;
  mode: "auto" | "pin" | "prefer";
  pin_pool_id?: string | undefined;
  pin_node_id?: string | undefined;
  prefer_pools?: readonly string[] | undefined;
  avoid_pools?: readonly string[] | undefined;
  avoid_nodes?: readonly string[] | undefined;
  require_device_mask?: string | undefined;
  allow_fallback: boolean;
  /** Pool the task's session ran on last (KV affinity). */
  session_pool_id?: string | undefined;
  /** Nodes already tried for this task (re-placement after a failure before the first token). */
  exclude_nodes?: readonly string[] | undefined;
}

export interface PlacementPolicy {
  strategy: PlacementStrategy;
  /** Round-robin position / random draw number: the caller advances it, so the function stays pure. */
  sequence: number;
  seed: number;
}

/** The score tuple of an eligible candidate, best first in this order. */
export interface CandidateScore {
  session_affinity: boolean;
  model_warm: boolean;
  busy_slots: number;
  slots_free: number;
  vram_free_bytes: number;
}

export interface CandidateVerdict {
  node_id: string;
  pool_id: string;
  eligible: boolean;
  /** Filters this candidate failed, in words an operator understands. */
  rejected_because: string[];
  /** For eligible candidates: the score tuple, best first. */
  score?: CandidateScore;
  rank?: number;
}

/** The filter a rejected candidate failed first, in placement's filter order (model first: it is the cheapest cut). */
export type RejectionFilter =
  | "model_missing"
  | "node_unschedulable"
  | "node_failed_task"
  | "node_avoided"
  | "pool_avoided"
  | "not_pinned"
  | "device_mask"
  | "pool_not_ready"
  | "pool_draining"
  | "vram_short"
  | "no_free_slot"
  | "pool_ejected"
  | "not_preferred";

export interface RankedCandidate {
  node_id: string;
  pool_id: string;
  /** 1 = the best score (the winner under least-loaded). */
  rank: number;
  score: CandidateScore;
}

/** What a decision keeps eagerly: enough to say "why this node" without a verdict per candidate. */
export interface PlacementSummary {
  considered: number;
  eligible: number;
  /** The best few eligible candidates by score, best first. */
  top: RankedCandidate[];
  /** Rejected candidates per filter, each counted once under the first filter it failed. */
  rejected: Partial<Record<RejectionFilter, number>>;
}

export interface AssignedFields {
  outcome: "assigned";
  node_id: string;
  pool_id: string;
  strategy: PlacementStrategy;
  /** Why this candidate won, e.g. "model warm", "least busy (1 of 4 slots busy)". */
  reasons: string[];
  pinned: boolean;
  fallback_used: boolean;
}

export interface NoCapacityFields {
  outcome: "no_capacity";
  code: ErrorCode;
  message: string;
  /** true when waiting could help (slots busy, pools loading); false when nothing can ever serve it. */
  transient: boolean;
  pinned: boolean;
}

/** The eager form: every candidate's verdict computed at decision time (explainPlacement). */
export type EagerPlacementDecision = (AssignedFields | NoCapacityFields) & { candidates: CandidateVerdict[] };

/**
 * What placeTask returns. `candidates` (every candidate's verdict, why each loser lost) is computed on
 * first read from the snapshot the decision keeps, and is not enumerable, so JSON (the journal) holds
 * only the summary.
 */
export type PlacementDecision = (AssignedFields | NoCapacityFields) & { summary: PlacementSummary; readonly candidates: CandidateVerdict[] };

/** A decision as the journal stored it: the summary (rows written before it kept the eager list instead). */
export type StoredPlacementDecision = (AssignedFields | NoCapacityFields) & { summary?: PlacementSummary; candidates?: CandidateVerdict[] };
