import type { OrchestratorContext } from "../../orchestrator-context.js";
import type { RouteHandler } from "../../../../src-node/route-context.js";

export function metaHandlers(ctx: OrchestratorContext): Record<string, RouteHandler> {
  return {
    getHealth: ({ res }) => {
      res.json({ status: "ok", version: ctx.meta.version });
    },
    getReady: ({ res }) => {
      const readiness = ctx.meta.readiness();
      // Load balancers and start scripts poll; tell them when it is worth asking again.
      if (!readiness.ready) res.setHeader("Retry-After", "1");
      res.status(readiness.ready ? 200 : 503).json(readiness);
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
