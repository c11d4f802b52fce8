import type { OrchestratorContext } from "../../orchestrator-context.js";
import type { RouteHandler } from "../../../../src-node/route-context.js";
import { OrchError } from "../../../../src-shared/errors/orch-error.js";

/** How soon a not-ready orchestrator is worth asking again. */
const READY_RETRY_MS = 1000;

export function metaHandlers(ctx: OrchestratorContext): Record<string, RouteHandler> {
  return {
    getHealth: ({ res }) => {
      res.json({ status: "ok", version: ctx.meta.version });
    },
    getReady: ({ res }) => {
      const { counts, reason } = ctx.meta.readiness();
      // Load balancers and start scripts poll: Retry-After tells them when asking again is worth it.
      if (reason !== null) throw new OrchError("POOL_UNAVAILABLE", `not ready: ${reason}`, { retriable: true, retry_after_ms: READY_RETRY_MS, details: counts });
      res.json({ ready: true, ...counts });
    },
    getMetrics: async ({ res }) => {
      res.setHeader("Content-Type", ctx.meta.metricsContentType());
      res.end(await ctx.meta.metricsText());
    },
    getOpenApi: ({ res }) => {
      res.json(ctx.meta.openApi());
    },
    getVersion: ({ res }) => {
      res.json(ctx.meta.versionInfo());
    },
    getCapabilities: ({ res }) => {
      res.json(ctx.meta.capabilities());
    },
  };
}
