import type { PoolReloadRequest } from "../../../../src-shared/pools/pool-health.js";
import type { DrainRequest, PoolCommandAccepted } from "../../../../src-shared/worker-api/pool-commands.js";
import { resolveModel } from "../../catalog/model-resolver.js";
import type { OrchestratorContext } from "../../orchestrator-context.js";
import type { NodeRecord } from "../../registry/node-record.js";
import { OrchError } from "../../../../src-shared/errors/orch-error.js";
import type { RouteHandler } from "../../../../src-node/route-context.js";

/**
 * Pool control sets desired state (persisted) and answers 202 at once; the pool reconciler sends
 * the worker the commands that get it there, and keeps at it across failures and restarts.
 * Placement honours the request from this moment.
 */
export function poolHandlers(ctx: OrchestratorContext): Record<string, RouteHandler> {
  const ownerOf = (poolId: string): NodeRecord => {
    const node = ctx.registry.ownerOfPool(poolId);
    if (node === undefined) throw new OrchError("POOL_NOT_FOUND", `no registered node serves pool ${poolId}`);
    return node;
  };
  const accepted = (poolId: string, state: string): PoolCommandAccepted => ({ pool_id: poolId, accepted: true, state });

  return {
    getPoolHealth: ({ params, res }) => {
      const poolId = params.id as string;
      const node = ownerOf(poolId);
      const snapshot = node.pools.find((p) => p.pool_id === poolId);
      const probe = ctx.prober.last(poolId);
      const nodeUp = node.status === "Online";
      const desired = ctx.registry.poolDesiredStatus(poolId) ?? null;
      res.json({
        live: nodeUp && (probe?.ok ?? true),
        ready: nodeUp && (snapshot?.ready ?? false),
        // Draining as soon as the operator asked, before the worker reports it.
        draining: (snapshot?.draining ?? false) || (desired?.draining ?? false),
        metrics: {
          queue_depth: ctx.tasks.queueDepth(),
          slots_total: snapshot?.slots_total ?? 0,
          slots_busy: ctx.tasks.scheduler.inflightOn(poolId),
          probe_duration_ms: probe ? Math.round(probe.duration_ms) : null,
        },
        last_error: snapshot?.last_error ?? probe?.error ?? (nodeUp ? null : `node ${node.node_id} is ${node.status}`),
        node_id: node.node_id,
        last_checked_ms: probe?.checked_at_ms ?? null,
        desired,
      });
    },

    drainPool: ({ params, body, res, identity }) => {
      const poolId = params.id as string;
      ownerOf(poolId);
      const req = body as DrainRequest;
      ctx.registry.requestPoolState(poolId, { draining: true, drain_deadline_ms: req.deadline_ms }, `drain requested by ${identity.label}`);
      ctx.audit.record({ at_ms: Date.now(), identity: identity.label, action: "pool_drain", target: poolId, outcome: "success" });
      res.status(202).json(accepted(poolId, "draining"));
    },

    resumePool: ({ params, res, identity }) => {
      const poolId = params.id as string;
      ownerOf(poolId);
      ctx.registry.requestPoolState(poolId, { draining: false }, `resume requested by ${identity.label}`);
      ctx.audit.record({ at_ms: Date.now(), identity: identity.label, action: "pool_resume", target: poolId, outcome: "success" });
      res.status(202).json(accepted(poolId, "resuming"));
    },

    reloadPool: ({ params, body, res, identity }) => {
      const poolId = params.id as string;
      const req = body as PoolReloadRequest;
      const node = ownerOf(poolId);
      const resolved = resolveModel(req.new_model_ref, ctx.clusterModels());
      if (!resolved.ok) throw new OrchError(resolved.code, resolved.message);
      if (!node.models.some((m) => m.sha256 === resolved.model.sha256)) {
        throw new OrchError("MODEL_NOT_AVAILABLE", `node ${node.node_id} does not hold ${resolved.model.id}; stage it there first`, { pool_id: poolId });
      }
      // A reload also ends an operator drain: the pool is meant to serve the new model.
      const change = { model: resolved.model.sha256, draining: false, ...(req.drain_deadline_ms !== undefined ? { drain_deadline_ms: req.drain_deadline_ms } : {}) };
      ctx.registry.requestPoolState(poolId, change, `reload to ${resolved.model.id} requested by ${identity.label}`);
      ctx.audit.record({ at_ms: Date.now(), identity: identity.label, action: "pool_reload", target: poolId, outcome: "success", details: { model: resolved.model.sha256 } });
      res.status(202).json(accepted(poolId, "reloading"));
    },
  };
}
