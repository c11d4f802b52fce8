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

export interface CandidateVerdict {
  node_id: string;
  pool_id: string;
  eligible: boolean;
  /** Filters this candidate failed, in words an operator understands. */
  rejected_because: string[];
  /** For eligible candidates: the score tuple, best first. */
  score?: {
    session_affinity: boolean;
    model_warm: boolean;
    busy_slots: number;
    slots_free: number;
    vram_free_bytes: number;
  };
  rank?: number;
}

export type PlacementDecision =
  | {
      outcome: "assigned";
      node_id: string;
      pool_id: string;
      strategy: PlacementStrategy;
      /** Why this candidate won, e.g. "model warm", "least busy (1 of 4 slots busy)". */
      reasons: string[];
      pinned: boolean;
      fallback_used: boolean;
      candidates: CandidateVerdict[];
    }
  | {
      outcome: "no_capacity";
      code: ErrorCode;
      message: string;
      /** true when waiting could help (slots busy, pools loading); false when nothing can ever serve it. */
      transient: boolean;
      pinned: boolean;
      candidates: CandidateVerdict[];
    };
