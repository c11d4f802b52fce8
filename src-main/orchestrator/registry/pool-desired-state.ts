import type { NodeStatus } from "../../../src-shared/nodes/node-info.js";
import type { PoolDesired, PoolDesiredStatus } from "../../../src-shared/nodes/pool-desired.js";
import type { PoolSnapshot } from "../../../src-shared/nodes/pool-snapshot.js";
import type { PoolDesiredStore } from "../db/pool-desired-store.js";
import { converge } from "./pool-convergence.js";

export const DEFAULT_DRAIN_DEADLINE_MS = 30_000;

/** What an operator route changes; the rest of the desired state is kept. */
export type PoolDesiredChange = Partial<Pick<PoolDesired, "model" | "slots" | "draining" | "drain_deadline_ms">>;

/** Reconciliation bookkeeping for one pool, in memory: it restarts with the orchestrator. */
export interface PoolProgress {
  attempts: number;
  /** Consecutive attempts without convergence: the back-off exponent. */
  streak: number;
  inFlight: boolean;
  lastError: string | null;
  nextAttemptMs: number | null;
}

/**
 * The orchestrator's desired state per pool (persisted) and how reconciliation of each is going.
 * Pools nobody acted on have no entry: the worker's own state stands.
 */
export class PoolDesiredState {
  private readonly desired = new Map<string, PoolDesired>();
  private readonly progress = new Map<string, PoolProgress>();

  constructor(
    private readonly store: PoolDesiredStore,
    private readonly now: () => number = Date.now,
  ) {
    for (const d of store.loadAll()) this.desired.set(d.pool_id, d);
  }

  get(poolId: string): PoolDesired | undefined {
    return this.desired.get(poolId);
  }

  /** Applies an operator request, persists it, and starts reconciliation over (no back-off carried). */
  request(poolId: string, change: PoolDesiredChange): PoolDesired {
    const previous = this.desired.get(poolId);
    const next: PoolDesired = {
      pool_id: poolId,
      model: previous?.model ?? null,
      slots: previous?.slots ?? null,
      draining: previous?.draining ?? false,
      drain_deadline_ms: previous?.drain_deadline_ms ?? DEFAULT_DRAIN_DEADLINE_MS,
      ...change,
      updated_at_ms: this.now(),
    };
    this.store.save(next);
    this.desired.set(poolId, next);
    const inFlight = this.progress.get(poolId)?.inFlight ?? false;
    this.progress.set(poolId, { attempts: 0, streak: 0, inFlight, lastError: null, nextAttemptMs: null });
    return next;
  }

  progressOf(poolId: string): PoolProgress {
    let p = this.progress.get(poolId);
    if (p === undefined) {
      p = { attempts: 0, streak: 0, inFlight: false, lastError: null, nextAttemptMs: null };
      this.progress.set(poolId, p);
    }
    return p;
  }

  /** Desired state plus convergence, as the node and pool APIs show it. */
  status(desired: PoolDesired, observed: PoolSnapshot | undefined, nodeStatus: NodeStatus | undefined, modelName: (sha256: string) => string): PoolDesiredStatus {
    const c = converge(desired, observed, nodeStatus, modelName);
    const p = this.progressOf(desired.pool_id);
    return {
      ...desired,
      convergence: {
        converged: c.state === "converged",
        pending: c.state === "diverged" ? c.action.kind : null,
        detail: c.detail,
        attempts: p.attempts,
        last_error: p.lastError,
        next_attempt_ms: c.state === "converged" ? null : p.nextAttemptMs,
      },
    };
  }
}
