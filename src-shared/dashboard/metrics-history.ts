import { z } from "zod";
import { NodeIdSchema } from "../common/ids.js";

/** Time ranges of the dashboard's Metrics view. */
export const MetricsRangeSchema = z.enum(["15m", "1h", "6h", "24h"]);
export type MetricsRange = z.infer<typeof MetricsRangeSchema>;

export const METRICS_RANGE_MS: Record<MetricsRange, number> = { "15m": 15 * 60_000, "1h": 3_600_000, "6h": 6 * 3_600_000, "24h": 24 * 3_600_000 };

/** GET /v2/metrics/history: the cluster aggregates, or one node's charts with `node`. */
export const MetricsHistoryQuerySchema = z.object({
  range: MetricsRangeSchema.default("15m"),
  node: NodeIdSchema.optional(),
});
export type MetricsHistoryQuery = z.infer<typeof MetricsHistoryQuerySchema>;

export const MetricsPointSchema = z.object({ t: z.int().min(0), v: z.number() });
export type MetricsPoint = z.infer<typeof MetricsPointSchema>;

export const MetricsSeriesSchema = z.object({
  /** Stable id, e.g. "node-a" or "pool-1 p95". */
  name: z.string(),
  points: z.array(MetricsPointSchema),
});
export type MetricsSeries = z.infer<typeof MetricsSeriesSchema>;

/** One chart: a title, a unit and its lines. */
export const MetricsChartSchema = z.object({
  id: z.string(),
  title: z.string(),
  unit: z.enum(["percent", "bytes", "tokens/s", "ms", "tasks", "per second", "celsius", "watts", "load"]),
  series: z.array(MetricsSeriesSchema),
});
export type MetricsChart = z.infer<typeof MetricsChartSchema>;

export const MetricsHistoryResponseSchema = z.object({
  range: MetricsRangeSchema,
  node: NodeIdSchema.nullable(),
  from_ms: z.int().min(0),
  to_ms: z.int().min(0),
  step_ms: z.int().min(1),
  charts: z.array(MetricsChartSchema),
  /** Every node with history in the range, for drill-down (per-node lines are drawn for the first few only). */
  nodes: z.array(z.object({ node_id: NodeIdSchema, cpu_ratio: z.number().nullable(), memory_used_ratio: z.number().nullable(), gpus: z.int().min(0) })),
  /** Grafana dashboard URL when the operator configured one. */
  grafana_url: z.string().nullable(),
});
export type MetricsHistoryResponse = z.infer<typeof MetricsHistoryResponseSchema>;

/**
 * Nodes the Metrics view lists at first (more on request, or found by its filter): a thousand rows of
 * links would block the page's main thread for about a second on every refresh (e2e/metrics-scale.test.ts).
 */
export const METRICS_NODE_LIST_PAGE = 100;
