import { z } from "zod";
import { NodeInfoSchema, NodeStatusSchema } from "../nodes/node-info.js";
import { StagingJobSchema } from "../staging/staging-job.js";
import { TaskStatusSchema } from "../tasks/task-status.js";
import { SettingsSchema } from "./settings.js";

/** One entry of a node's history (registered, online, suspect, offline, drained …). */
export const NodeEventSchema = z.object({
  at_ms: z.int().min(0),
  kind: z.enum(["registered", "online", "suspect", "offline", "recovered", "deregistered", "drained", "undrained", "pool", "refused", "forgotten", "model_quarantined"]),
  message: z.string(),
  /** Status before and after, on status transitions. */
  from: NodeStatusSchema.optional(),
  to: NodeStatusSchema.optional(),
});
export type NodeEvent = z.infer<typeof NodeEventSchema>;

/** GET /v2/nodes/{id}: the node plus its event history. */
export const NodeDetailSchema = NodeInfoSchema.extend({
  events: z.array(NodeEventSchema),
});
export type NodeDetail = z.infer<typeof NodeDetailSchema>;

/** Cluster-wide rates, sampled once a second for the Overview charts. */
export const ClusterStatsSchema = z.object({
  at_ms: z.int().min(0),
  tokens_per_second: z.number().min(0),
  requests_per_second: z.number().min(0),
  first_token_ms_p50: z.number().min(0).nullable(),
  first_token_ms_p95: z.number().min(0).nullable(),
  queue_depth: z.int().min(0),
  running: z.int().min(0),
  nodes_online: z.int().min(0),
  nodes_total: z.int().min(0),
  pools_ready: z.int().min(0),
  pools_total: z.int().min(0),
});
export type ClusterStats = z.infer<typeof ClusterStatsSchema>;

/** A log or audit line for the Logs view. */
export const LogEntrySchema = z.object({
  seq: z.int().min(0),
  at_ms: z.int().min(0),
  level: z.enum(["trace", "debug", "info", "warn", "error", "fatal"]),
  source: z.string(),
  message: z.string(),
  /** Error code when the line reports one (toasts show it). */
  code: z.string().optional(),
  fields: z.record(z.string(), z.unknown()).optional(),
});
export type LogEntry = z.infer<typeof LogEntrySchema>;

/** The first frame of GET /v2/events: everything the dashboard needs to render. */
export const ClusterSnapshotSchema = z.object({
  nodes: z.array(NodeInfoSchema),
  tasks: z.array(TaskStatusSchema),
  stats: ClusterStatsSchema,
  /** The last 15 minutes of stats, one sample per second, oldest first (chart history on load). */
  stats_history: z.array(ClusterStatsSchema),
  settings: SettingsSchema,
  logs: z.array(LogEntrySchema),
  /** This orchestrator's base URL as clients should use it, for copyable examples. */
  public_url: z.string(),
  version: z.string(),
});
export type ClusterSnapshot = z.infer<typeof ClusterSnapshotSchema>;

/**
 * GET /v2/events — one SSE stream of cluster state for the dashboard: a `snapshot` first, then
 * deltas. Task frames are throttled (progress at most every 250 ms per task).
 */
export const ClusterEventSchema = z.discriminatedUnion("event", [
  z.object({ event: z.literal("snapshot"), data: ClusterSnapshotSchema }),
  z.object({ event: z.literal("node"), data: NodeInfoSchema }),
  z.object({ event: z.literal("node_removed"), data: z.object({ node_id: z.string() }) }),
  z.object({ event: z.literal("node_event"), data: z.object({ node_id: z.string(), event: NodeEventSchema }) }),
  z.object({ event: z.literal("task"), data: TaskStatusSchema }),
  z.object({ event: z.literal("stats"), data: ClusterStatsSchema }),
  z.object({ event: z.literal("log"), data: LogEntrySchema }),
  z.object({ event: z.literal("settings"), data: SettingsSchema }),
  /** A staging job changed state or made progress (progress at most every 250 ms per job). */
  z.object({ event: z.literal("staging_job"), data: StagingJobSchema }),
]);
export type ClusterEvent = z.infer<typeof ClusterEventSchema>;
export type ClusterEventName = ClusterEvent["event"];

export const CLUSTER_EVENT_NAMES = ["snapshot", "node", "node_removed", "node_event", "task", "stats", "log", "settings", "staging_job"] as const satisfies readonly ClusterEventName[];

/** GET /v2/logs: recent log and audit lines, oldest first. */
export const LogListResponseSchema = z.object({ entries: z.array(LogEntrySchema) });
export type LogListResponse = z.infer<typeof LogListResponseSchema>;

export const LogListQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(5000).optional(),
  level: z.enum(["debug", "info", "warn", "error"]).optional(),
});
export type LogListQuery = z.infer<typeof LogListQuerySchema>;
