import { API_VERSION } from "../../../../src-shared/contract/api-version.js";
import { MAX_TOKENS_LIMIT } from "../../../../src-shared/worker-api/sampling.js";
import type { OrchestratorContext } from "../../orchestrator-context.js";
import type { RouteHandler } from "../../../../src-node/route-context.js";

export function metaHandlers(ctx: OrchestratorContext): Record<string, RouteHandler> {
  return {
    getHealth: ({ res }) => {
      res.json({ status: "ok", version: ctx.version });
    },

    getMetrics: async ({ res }) => {
      res.setHeader("Content-Type", ctx.metrics.registry.contentType);
      res.end(await ctx.metrics.registry.metrics());
    },

    getOpenApi: ({ res }) => {
      res.json(ctx.openApiDocument());
    },

    getVersion: ({ res }) => {
      res.json({ api_version: API_VERSION, version: ctx.version, build_commit: process.env.LLORCH_BUILD_COMMIT ?? null, build_time: process.env.LLORCH_BUILD_TIME ?? null });
    },

    getCapabilities: ({ res }) => {
      const nodes = ctx.registry.list().filter((n) => n.status === "Online");
      const pools = nodes.flatMap((n) => n.pools).filter((p) => p.ready);
      const models = ctx.clusterModels();
      const engineVersions = [...new Set(pools.map((p) => p.engine_version).filter((v): v is string => v !== undefined))];
      res.json({
        api_version: API_VERSION,
        engines: [
          {
            engine: "llamacpp",
            ...(engineVersions.length > 0 ? { engine_version: engineVersions.join(",") } : {}),
            ctx_max: Math.max(1, ...models.map((m) => m.context_length ?? 1)),
            max_tokens_out: MAX_TOKENS_LIMIT,
            supported_workloads: ["completion"],
            slots_total: pools.reduce((n, p) => n + p.slots_total, 0),
            rate_limits: {},
            features: { streaming: true, chat: true, cancel: true, openai_compatible: true, placement_overrides: true, session_affinity: true },
          },
        ],
      });
    },
  };
}
