import type { HeartbeatRequest } from "../../../../src-shared/nodes/heartbeat.js";
import type { RegisterNodeRequest } from "../../../../src-shared/nodes/node-registration.js";
import { parseBearer } from "../../../../src-shared/auth/parse-bearer.js";
import { PoolIdConflict } from "../../registry/node-registry.js";
import { heartbeatIntervalMs } from "../../registry/heartbeat-cadence.js";
import type { OrchestratorContext } from "../../orchestrator-context.js";
import { OrchError } from "../../../../src-shared/errors/orch-error.js";
import type { RouteHandler } from "../../../../src-node/route-context.js";

export function nodeHandlers(ctx: OrchestratorContext): Record<string, RouteHandler> {
  return {
    registerNode: ({ body, req: httpReq, res, identity }) => {
      const req = body as RegisterNodeRequest;
      try {
        // The worker accepts its own token only, so the orchestrator calls it back with that token.
        ctx.registry.register(req, parseBearer(httpReq.headers.authorization));
      } catch (err) {
        ctx.metrics.nodeRegistrations.inc({ outcome: "error" });
        if (err instanceof PoolIdConflict) throw new OrchError("CONFLICT", err.message);
        throw err;
      }
      ctx.metrics.nodeRegistrations.inc({ outcome: "success" });
      ctx.audit.record({ at_ms: Date.now(), identity: identity.label, action: "node_registered", target: req.node_id, outcome: "success", details: { pools: req.pools, address: req.address } });
      ctx.logger.info({ node_id: req.node_id, address: req.address, pools: req.pools, identity: identity.label }, "node registered");
      // Probe at registration: measures reachability of the address the node advertised.
      void ctx.prober.probeNode(req.node_id);
      res.json({ success: true, message: "Registered successfully", node_id: req.node_id, next_heartbeat_ms: heartbeatIntervalMs(ctx.registry.liveCount(), ctx.config()) });
    },

    nodeHeartbeat: ({ body, params, res }) => {
      const nodeId = params.id as string;
      // The interval grows with the cluster so the total heartbeat rate stays bounded (heartbeat-cadence.ts).
      const next = heartbeatIntervalMs(ctx.registry.liveCount(), ctx.config());
      const accepted = ctx.registry.heartbeat(nodeId, body as HeartbeatRequest, next);
      ctx.metrics.nodeHeartbeats.inc({ node_id: nodeId, outcome: accepted ? "success" : "error" });
      if (!accepted) throw new OrchError("NODE_NOT_FOUND", `node ${nodeId} is not registered (or timed out); register again`);
      res.json({ success: true, next_heartbeat_ms: next });
    },

    deregisterNode: ({ params, res, identity }) => {
      const nodeId = params.id as string;
      const removed = ctx.registry.deregister(nodeId);
      ctx.metrics.nodeDeregistrations.inc({ outcome: removed ? "success" : "error" });
      if (!removed) throw new OrchError("NODE_NOT_FOUND", `node ${nodeId} is not registered`);
      ctx.audit.record({ at_ms: Date.now(), identity: identity.label, action: "node_deregistered", target: nodeId, outcome: "success" });
      res.status(204).end();
    },

    listNodes: ({ res }) => {
      const now = Date.now();
      const nodes = ctx.registry.list().map((n) => ctx.registry.describe(n, now));
      res.json({ nodes, count: nodes.length });
    },
  };
}
