import { z } from "zod";
import { queryInteger } from "../common/query-integer.js";
import { EpochMsSchema } from "../common/ids.js";
import { NodeInfoSchema, NodeStatusSchema } from "../nodes/node-info.js";
import { StagingJobSchema } from "../staging/staging-job.js";
import { TaskStatusSchema } from "../tasks/task-status.js";
import { NodeDeltaSchema } from "./node-delta.js";
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
 * GET /v2/events?protocol=2 — the first frame of the paged snapshot: everything small, the counts of
 * what the pages will carry, and the node frame sequence the snapshot reflects.
 */
export const SnapshotBeginSchema = z.object({
  /** The `seq` of the last node frame the snapshot includes; the next `node_delta`/`node_removed` carries `node_seq + 1`. */
  node_seq: z.int().min(0),
  /** The orchestrator's clock when the snapshot was taken (heartbeat ages tick locally from it). */
  now_ms: EpochMsSchema,
  /** How many items of each kind the pages carry (checked at `snapshot_end`). */
  counts: z.object({ nodes: z.int().min(0), tasks: z.int().min(0), logs: z.int().min(0), stats_history: z.int().min(0) }),
  stats: ClusterStatsSchema,
  settings: SettingsSchema,
  public_url: z.string(),
  version: z.string(),
});
export type SnapshotBegin = z.infer<typeof SnapshotBeginSchema>;

/** Items of one kind (nodes first, then tasks, logs and the stats history, each oldest/first first), bounded in size. */
export const SnapshotPageSchema = z.discriminatedUnion("kind", [
  z.object({ page: z.int().min(0), kind: z.literal("nodes"), items: z.array(NodeInfoSchema) }),
  z.object({ page: z.int().min(0), kind: z.literal("tasks"), items: z.array(TaskStatusSchema) }),
  z.object({ page: z.int().min(0), kind: z.literal("logs"), items: z.array(LogEntrySchema) }),
  z.object({ page: z.int().min(0), kind: z.literal("stats_history"), items: z.array(ClusterStatsSchema) }),
]);
export type SnapshotPage = z.infer<typeof SnapshotPageSchema>;
export type SnapshotPageKind = SnapshotPage["kind"];

/** The last frame of the paged snapshot: how many pages were sent (pages are numbered 0..pages-1). */
export const SnapshotEndSchema = z.object({ pages: z.int().min(0) });
export type SnapshotEnd = z.infer<typeof SnapshotEndSchema>;

/** `node_removed`; under protocol 2 it carries its place in the node frame sequence. */
export const NodeRemovedSchema = z.object({ node_id: z.string(), seq: z.int().min(1).optional() });

/**
 * GET /v2/events — one SSE stream of cluster state for the dashboard: a `snapshot` first, then
 * deltas. Task frames are throttled (progress at most every 250 ms per task).
 * With `?protocol=2` the snapshot comes in pages (`snapshot_begin`, `snapshot_page`*, `snapshot_end`)
 * and nodes change through numbered `node_delta` frames instead of whole `node` frames.
 */
export const ClusterEventSchema = z.discriminatedUnion("event", [
  z.object({ event: z.literal("snapshot"), data: ClusterSnapshotSchema }),
  z.object({ event: z.literal("node"), data: NodeInfoSchema }),
  z.object({ event: z.literal("node_removed"), data: NodeRemovedSchema }),
  z.object({ event: z.literal("node_event"), data: z.object({ node_id: z.string(), event: NodeEventSchema }) }),
  z.object({ event: z.literal("task"), data: TaskStatusSchema }),
  z.object({ event: z.literal("stats"), data: ClusterStatsSchema }),
  z.object({ event: z.literal("log"), data: LogEntrySchema }),
  z.object({ event: z.literal("settings"), data: SettingsSchema }),
  /** A staging job changed state or made progress (progress at most every 250 ms per job). */
  z.object({ event: z.literal("staging_job"), data: StagingJobSchema }),
  z.object({ event: z.literal("snapshot_begin"), data: SnapshotBeginSchema }),
  z.object({ event: z.literal("snapshot_page"), data: SnapshotPageSchema }),
  z.object({ event: z.literal("snapshot_end"), data: SnapshotEndSchema }),
  z.object({ event: z.literal("node_delta"), data: NodeDeltaSchema }),
]);
export type ClusterEvent = z.infer<typeof ClusterEventSchema>;
export type ClusterEventName = ClusterEvent["event"];

export const CLUSTER_EVENT_NAMES = ["snapshot", "node", "node_removed", "node_event", "task", "stats", "log", "settings", "staging_job", "snapshot_begin", "snapshot_page", "snapshot_end", "node_delta"] as const satisfies readonly ClusterEventName[];

/** GET /v2/logs: recent log and audit lines, oldest first. */
export const LogListResponseSchema = z.object({ entries: z.array(LogEntrySchema) });
export type LogListResponse = z.infer<typeof LogListResponseSchema>;

export const LogListQuerySchema = z.object({
  limit: queryInteger(1, 5000).optional(),
  level: z.enum(["debug", "info", "warn", "error"]).optional(),
});
export type LogListQuery = z.infer<typeof LogListQuerySchema>;

/**
 * GET /v2/events query. protocol 1 (the default, the original): one `snapshot` frame and whole `node`
 * frames. protocol 2: the snapshot in pages and `node_delta` frames (what the dashboard uses).
 */
export const ClusterEventsQuerySchema = z.object({
  protocol: z.enum(["1", "2"]).default("1"),
});
export type ClusterEventsQuery = z.infer<typeof ClusterEventsQuerySchema>;
