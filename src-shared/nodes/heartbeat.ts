import { z } from "zod";
import { HostTelemetrySchema } from "./host-telemetry.js";
import { QuarantinedCopySchema } from "../models/quarantined-copy.js";
import { NodeModelListSchema } from "./node-model-limit.js";
import { nodePoolList } from "./node-pool-limit.js";
import { PoolSnapshotSchema } from "./pool-snapshot.js";

/** POST /v2/nodes/{id}/heartbeat — also sent at once whenever a pool changes state. */
export const HeartbeatRequestSchema = z.object({
  /** ISO 8601 with offset, e.g. 2025-10-01T09:00:10+00:00. */
  timestamp: z.iso.datetime({ offset: true }),
  pools: nodePoolList(PoolSnapshotSchema, (p) => p.pool_id),
  /** Full inventory; omitted when unchanged since the last report. */
  models: NodeModelListSchema.optional(),
  /** Latest host/GPU sample; optional so workers older than the telemetry still validate. */
  telemetry: HostTelemetrySchema.optional(),
  /** Copies this worker quarantined (the most recent ones); each new one becomes a node event. */
  quarantined: z.array(QuarantinedCopySchema).max(64).optional(),
});
export type HeartbeatRequest = z.infer<typeof HeartbeatRequestSchema>;

export const HeartbeatResponseSchema = z.object({
  success: z.boolean(),
  next_heartbeat_ms: z.int().min(1),
});
export type HeartbeatResponse = z.infer<typeof HeartbeatResponseSchema>;
