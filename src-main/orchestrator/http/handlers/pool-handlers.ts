import type { PoolReloadRequest } from "../../../../src-shared/pools/pool-health.js";
import type { DrainRequest } from "../../../../src-shared/worker-api/pool-commands.js";
import type { OrchestratorContext } from "../../orchestrator-context.js";
import type { RouteHandler } from "../../../../src-node/route-context.js";

/** Pool routes: health, and desired-state control (drain, resume, reload) answered at once (202). */
export function poolHandlers(ctx: OrchestratorContext): Record<string, RouteHandler> {
  return {
    getPoolHealth: ({ params, res }) => {
      res.json(ctx.pools.health(params.id as string));
    },
    drainPool: ({ params, body, res, identity }) => {
      res.status(202).json(ctx.pools.drain(params.id as string, body as DrainRequest, identity.label));
    },
    resumePool: ({ params, res, identity }) => {
      res.status(202).json(ctx.pools.resume(params.id as string, identity.label));
    },
    reloadPool: ({ params, body, res, identity }) => {
      res.status(202).json(ctx.pools.reload(params.id as string, body as PoolReloadRequest, identity.label));
    },
  };
}
