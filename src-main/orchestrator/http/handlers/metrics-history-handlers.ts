import type { MetricsHistoryQuery } from "../../../../src-shared/dashboard/metrics-history.js";
import type { RouteHandler } from "../../../../src-node/route-context.js";
import type { OrchestratorContext } from "../../orchestrator-context.js";

export function metricsHistoryHandlers(ctx: OrchestratorContext): Record<string, RouteHandler> {
  return {
    getMetricsHistory: ({ query, res }) => {
      res.json(ctx.meta.metricsHistory(query as MetricsHistoryQuery));
    },
  };
}
