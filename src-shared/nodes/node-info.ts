import { z } from "zod";
import { EpochMsSchema, NodeIdSchema, PoolIdSchema } from "../common/ids.js";
import { ModelInventoryEntrySchema } from "../models/model-inventory.js";
import { NodeCapabilitiesSchema } from "./gpu-capabilities.js";
import { PoolDesiredStatusSchema } from "./pool-desired.js";
import { PoolSnapshotSchema } from "./pool-snapshot.js";

/**
 * Liveness only (Nomad's node status). Registering: registered, no heartbeat yet. Online:
 * heartbeating. Suspect: connection dropped or heartbeats missed, not yet timed out. Offline:
 * timed out. Drain is not a status: see eligibility.
 */
export const NodeStatusSchema = z.enum(["Registering", "Online", "Suspect", "Offline"]);
export type NodeStatus = z.infer<typeof NodeStatusSchema>;

/** Scheduling eligibility (Nomad's word): an operator drain makes a node ineligible, whatever its status. */
export const NodeEligibilitySchema = z.enum(["eligible", "ineligible"]);
export type NodeEligibility = z.infer<typeof NodeEligibilitySchema>;

/** A node as listed by GET /v2/nodes (spec §6.6 plus live state for the dashboard). */
export const NodeInfoSchema = z.object({
  node_id: NodeIdSchema,
  machine_id: z.string(),
  address: z.string(),
  /** Pool ids the node registered. */
  pool_ids: z.array(PoolIdSchema),
  capabilities: NodeCapabilitiesSchema,
  status: NodeStatusSchema,
  eligibility: NodeEligibilitySchema,
  registered_at_ms: EpochMsSchema,
  last_heartbeat_ms: EpochMsSchema,
  last_heartbeat_age_ms: z.int().min(0),
  version: z.string().nullable(),
  /** Latest pushed pool snapshots. */
  pools: z.array(PoolSnapshotSchema),
  models: z.array(ModelInventoryEntrySchema),
  /** Operator-set desired state of this node's pools (only pools an operator acted on), with convergence. */
  desired_pools: z.array(PoolDesiredStatusSchema),
});
export type NodeInfo = z.infer<typeof NodeInfoSchema>;

export const NodeListResponseSchema = z.object({
  nodes: z.array(NodeInfoSchema),
  count: z.int().min(0),
});
export type NodeListResponse = z.infer<typeof NodeListResponseSchema>;
