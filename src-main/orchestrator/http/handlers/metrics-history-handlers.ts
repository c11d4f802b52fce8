import type { MetricsHistoryQuery } from "../../../../src-shared/dashboard/metrics-history.js";
import type { RouteHandler } from "../../../../src-node/route-context.js";
import { buildMetricsHistory } from "../../metrics/history-view.js";
import type { OrchestratorContext } from "../../orchestrator-context.js";

export function metricsHistoryHandlers(ctx: OrchestratorContext): Record<string, RouteHandler> {
  return {
    getMetricsHistory: ({ query, res }) => {
      const config = ctx.config();
      res.json(buildMetricsHistory(ctx.history.store, ctx.history.telemetry, query as MetricsHistoryQuery, Date.now(), config.metrics_history_step_ms, config.grafana_url ?? null));
    },
  };
}
