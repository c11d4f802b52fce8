import type { OrchestratorContext } from "../../orchestrator-context.js";
import { OrchError } from "../../../../src-shared/errors/orch-error.js";
import type { RouteHandler } from "../../../../src-node/route-context.js";

export function sessionHandlers(ctx: OrchestratorContext): Record<string, RouteHandler> {
  return {
    getSession: ({ params, res }) => {
      const info = ctx.sessions.info(params.id as string);
      if (info === null) throw new OrchError("SESSION_NOT_FOUND", `no session ${params.id} (sessions start with their first task and expire after their TTL)`);
      res.json(info);
    },
    deleteSession: ({ params, res }) => {
      if (!ctx.sessions.delete(params.id as string)) throw new OrchError("SESSION_NOT_FOUND", `no session ${params.id}`);
      res.status(204).end();
    },
  };
}
