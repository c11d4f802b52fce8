import type { PoolReloadRequest } from "../../../../src-shared/pools/pool-health.js";
import type { DrainRequest } from "../../../../src-shared/worker-api/pool-commands.js";
import { resolveModel } from "../../catalog/model-resolver.js";
import { WorkerClient } from "../../workers/worker-client.js";
import type { OrchestratorContext } from "../../orchestrator-context.js";
import type { NodeRecord } from "../../registry/node-record.js";
import { OrchError } from "../../../../src-shared/errors/orch-error.js";
import type { RouteHandler } from "../../../../src-node/route-context.js";

export function poolHandlers(ctx: OrchestratorContext): Record<string, RouteHandler> {
  const ownerOf = (poolId: string): NodeRecord => {
    const node = ctx.registry.ownerOfPool(poolId);
    if (node === undefined) throw new OrchError("POOL_NOT_FOUND", `no registered node serves pool ${poolId}`);
    return node;
  };
  const forward = async (node: NodeRecord, poolId: string, command: "drain" | "reload", body: unknown) => {
    if (node.status === "Offline") throw new OrchError("NODE_UNAVAILABLE", `node ${node.node_id} of pool ${poolId} is offline`, { pool_id: poolId });
    try {
      return await new WorkerClient(node.address, ctx.workerToken(node.node_id)).poolCommand(poolId, command, body);
    } catch (err) {
      throw new OrchError("NODE_UNAVAILABLE", `node ${node.node_id} did not answer: ${err instanceof Error ? err.message : String(err)}`, { pool_id: poolId });
    }
  };

  return {
    getPoolHealth: ({ params, res }) => {
      const poolId = params.id as string;
      const node = ownerOf(poolId);
      const snapshot = node.pools.find((p) => p.pool_id === poolId);
      const probe = ctx.prober.last(poolId);
      const nodeUp = node.status === "Online";
      res.json({
        live: nodeUp && (probe?.ok ?? true),
        ready: nodeUp && (snapshot?.ready ?? false),
        draining: snapshot?.draining ?? false,
        metrics: {
          queue_depth: ctx.tasks.queueDepth(),
          slots_total: snapshot?.slots_total ?? 0,
          slots_busy: ctx.tasks.scheduler.inflightOn(poolId),
          probe_duration_ms: probe ? Math.round(probe.duration_ms) : null,
        },
        last_error: snapshot?.last_error ?? probe?.error ?? (nodeUp ? null : `node ${node.node_id} is ${node.status}`),
        node_id: node.node_id,
        last_checked_ms: probe?.checked_at_ms ?? null,
      });
    },

    drainPool: async ({ params, body, res, identity }) => {
      const poolId = params.id as string;
      const node = ownerOf(poolId);
      ctx.tasks.scheduler.markPoolDraining(poolId);
      const answer = await forward(node, poolId, "drain", body as DrainRequest);
      ctx.audit.record({ at_ms: Date.now(), identity: identity.label, action: "pool_drain", target: poolId, outcome: answer.status < 300 ? "success" : "error" });
      res.status(answer.status).json(answer.body);
    },

    reloadPool: async ({ params, body, res, identity }) => {
      const poolId = params.id as string;
      const req = body as PoolReloadRequest;
      const node = ownerOf(poolId);
      const resolved = resolveModel(req.new_model_ref, ctx.clusterModels());
      if (!resolved.ok) throw new OrchError(resolved.code, resolved.message);
      if (!node.models.some((m) => m.sha256 === resolved.model.sha256)) {
        throw new OrchError("MODEL_NOT_AVAILABLE", `node ${node.node_id} does not hold ${resolved.model.id}; stage it there first`, { pool_id: poolId });
      }
      ctx.tasks.scheduler.markPoolDraining(poolId);
      const answer = await forward(node, poolId, "reload", { model: `sha256:${resolved.model.sha256}`, ...(req.drain_deadline_ms !== undefined ? { drain_deadline_ms: req.drain_deadline_ms } : {}) });
      ctx.audit.record({ at_ms: Date.now(), identity: identity.label, action: "pool_reload", target: poolId, outcome: answer.status < 300 ? "success" : "error", details: { model: resolved.model.sha256 } });
      res.status(answer.status).json(answer.body);
    },
  };
}
