import { OrchError } from "../../../src-shared/errors/orch-error.js";
import type { PoolReloadRequest } from "../../../src-shared/pools/pool-health.js";
import type { DrainRequest, PoolCommandAccepted } from "../../../src-shared/worker-api/pool-commands.js";
import { resolveModel, type AliasTable, type ResolvedModel } from "../catalog/model-resolver.js";
import type { AuditLog } from "../db/audit-log.js";
import type { PoolProber } from "../probes/pool-prober.js";
import type { NodeRecord } from "../registry/node-record.js";
import type { NodeRegistry } from "../registry/node-registry.js";

export interface PoolServiceDeps {
  registry: NodeRegistry;
  prober: PoolProber;
  audit: AuditLog;
  clusterModels: () => ResolvedModel[];
  /** Operator aliases (name → sha256): a reload may name one. */
  modelAliases?: (() => AliasTable) | undefined;
  /** Tasks queued and the orchestrator's own dispatches in flight on a pool. */
  load: { queueDepth(): number; inflightOn(poolId: string): number };
  /** The pool's outlier ejection now, or null (the scheduler's PoolEjections). */
  ejection?: ((poolId: string) => { until_ms: number; ejections: number; reason: string } | null) | undefined;
}

/**
 * The pools area. Pool control sets desired state (persisted) and answers at once; the pool
 * reconciler sends the worker the commands that get it there, and keeps at it across failures and
 * restarts. Placement honours the request from this moment.
 */
export class PoolService {
  constructor(private readonly deps: PoolServiceDeps) {}

  health(poolId: string) {
    const node = this.ownerOf(poolId);
    const snapshot = node.pools.find((p) => p.pool_id === poolId);
    const probe = this.deps.prober.last(poolId);
    const nodeUp = node.status === "Online";
    const desired = this.deps.registry.poolDesiredStatus(poolId) ?? null;
    return {
      live: nodeUp && (probe?.ok ?? true),
      ready: nodeUp && (snapshot?.ready ?? false),
      // Draining as soon as the operator asked, before the worker reports it.
      draining: (snapshot?.draining ?? false) || (desired?.draining ?? false),
      metrics: {
        queue_depth: this.deps.load.queueDepth(),
        slots_total: snapshot?.slots_total ?? 0,
        slots_busy: this.deps.load.inflightOn(poolId),
        probe_duration_ms: probe ? Math.round(probe.duration_ms) : null,
      },
      last_error: snapshot?.last_error ?? probe?.error ?? (nodeUp ? null : `node ${node.node_id} is ${node.status}`),
      node_id: node.node_id,
      last_checked_ms: probe?.checked_at_ms ?? null,
      desired,
      ejection: this.deps.ejection?.(poolId) ?? null,
    };
  }

  drain(poolId: string, req: DrainRequest, actor: string): PoolCommandAccepted {
    this.ownerOf(poolId);
    this.deps.registry.requestPoolState(poolId, { draining: true, drain_deadline_ms: req.deadline_ms }, `drain requested by ${actor}`);
    this.audit(actor, "pool_drain", poolId);
    return accepted(poolId, "draining");
  }

  resume(poolId: string, actor: string): PoolCommandAccepted {
    this.ownerOf(poolId);
    this.deps.registry.requestPoolState(poolId, { draining: false }, `resume requested by ${actor}`);
    this.audit(actor, "pool_resume", poolId);
    return accepted(poolId, "resuming");
  }

  reload(poolId: string, req: PoolReloadRequest, actor: string): PoolCommandAccepted {
    const node = this.ownerOf(poolId);
    const resolved = resolveModel(req.new_model_ref, this.deps.clusterModels(), this.deps.modelAliases?.());
    if (!resolved.ok) throw new OrchError(resolved.code, resolved.message);
    if (!node.models.some((m) => m.sha256 === resolved.model.sha256)) {
      throw new OrchError("MODEL_NOT_AVAILABLE", `node ${node.node_id} does not hold ${resolved.model.id}; stage it there first`, { pool_id: poolId });
    }
    // A reload also ends an operator drain: the pool is meant to serve the new model.
    const change = { model: resolved.model.sha256, draining: false, ...(req.drain_deadline_ms !== undefined ? { drain_deadline_ms: req.drain_deadline_ms } : {}) };
    this.deps.registry.requestPoolState(poolId, change, `reload to ${resolved.model.id} requested by ${actor}`);
    this.audit(actor, "pool_reload", poolId, { model: resolved.model.sha256 });
    return accepted(poolId, "reloading");
  }

  private ownerOf(poolId: string): NodeRecord {
    const node = this.deps.registry.ownerOfPool(poolId);
    if (node === undefined) throw new OrchError("POOL_NOT_FOUND", `no registered node serves pool ${poolId}`);
    return node;
  }

  private audit(actor: string, action: string, poolId: string, details?: Record<string, unknown>): void {
    this.deps.audit.record({ at_ms: Date.now(), identity: actor, action, target: poolId, outcome: "success", ...(details ? { details } : {}) });
  }
}

function accepted(poolId: string, state: string): PoolCommandAccepted {
  return { pool_id: poolId, accepted: true, state };
}
