import { canonicalUuid } from "../../../../src-shared/common/ids.js";
import type { OrchestratorContext } from "../../orchestrator-context.js";
import type { RouteHandler } from "../../../../src-node/route-context.js";
import { seesEveryTask } from "../task-access.js";

/** Sessions are per credential: a client reaches its own; admin and read credentials reach any (as with tasks). */
export function sessionHandlers(ctx: OrchestratorContext): Record<string, RouteHandler> {
  return {
    getSession: ({ params, res, identity }) => {
      res.json(ctx.tasks.session(identity.credentialId, canonicalUuid(params.id as string), seesEveryTask(identity)));
    },
    deleteSession: ({ params, res, identity }) => {
      ctx.tasks.deleteSession(identity.credentialId, canonicalUuid(params.id as string), seesEveryTask(identity));
      res.status(204).end();
    },
  };
}
