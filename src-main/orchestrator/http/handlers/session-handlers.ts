import type { OrchestratorContext } from "../../orchestrator-context.js";
import type { RouteHandler } from "../../../../src-node/route-context.js";

export function sessionHandlers(ctx: OrchestratorContext): Record<string, RouteHandler> {
  return {
    getSession: ({ params, res }) => {
      res.json(ctx.tasks.session(params.id as string));
    },
    deleteSession: ({ params, res }) => {
      ctx.tasks.deleteSession(params.id as string);
      res.status(204).end();
    },
  };
}
