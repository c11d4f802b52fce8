import type { JoinNodeRequest } from "../../../../src-shared/auth/join-tokens.js";
import type { HeartbeatRequest } from "../../../../src-shared/nodes/heartbeat.js";
import type { RegisterNodeRequest } from "../../../../src-shared/nodes/node-registration.js";
import type { OrchestratorContext } from "../../orchestrator-context.js";
import { presentedToken } from "../presented-token.js";
import type { RouteHandler } from "../../../../src-node/route-context.js";

/** The worker agents' routes: register, heartbeat, deregister; forget (admin) and the node list. */
export function nodeHandlers(ctx: OrchestratorContext): Record<string, RouteHandler> {
  return {
    registerNode: ({ body, req, res, identity }) => {
      const reg = body as RegisterNodeRequest;
      const next = ctx.nodes.register(reg, presentedToken(req), identity);
      res.json({ success: true, message: "Registered successfully", node_id: reg.node_id, next_heartbeat_ms: next });
    },

    joinNode: ({ body, res, identity }) => {
      res.status(201).json(ctx.admin.joinNode(body as JoinNodeRequest, identity));
    },

    nodeHeartbeat: ({ body, params, res, identity }) => {
      res.json({ success: true, next_heartbeat_ms: ctx.nodes.heartbeat(params.id as string, body as HeartbeatRequest, identity) });
    },

    deregisterNode: ({ params, res, identity }) => {
      ctx.nodes.deregister(params.id as string, identity);
      res.status(204).end();
    },

    forgetNode: ({ params, res, identity }) => {
      ctx.nodes.forget(params.id as string, identity.label);
      res.status(204).end();
    },

    listNodes: ({ res }) => {
      const nodes = ctx.nodes.list();
      res.json({ nodes, count: nodes.length });
    },
  };
}
