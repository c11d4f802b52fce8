import type { ModelInventoryEntry } from "../../../src-shared/models/model-inventory.js";
import type { NodeCapabilities } from "../../../src-shared/nodes/gpu-capabilities.js";
import type { NodeEligibility, NodeInfo, NodeStatus } from "../../../src-shared/nodes/node-info.js";
import type { PoolDesiredStatus } from "../../../src-shared/nodes/pool-desired.js";
import type { PoolSnapshot } from "../../../src-shared/nodes/pool-snapshot.js";

/** The orchestrator's view of one worker node: durable identity plus soft state from heartbeats. */
export interface NodeRecord {
  node_id: string;
  machine_id: string;
  address: string;
  version: string | null;
  capabilities: NodeCapabilities;
  pool_ids: string[];
  pools: PoolSnapshot[];
  models: ModelInventoryEntry[];
  /** Liveness; changed only through the transition table (node-status.ts). */
  status: NodeStatus;
  /** Operator drain: no new placements, independent of liveness; persisted. */
  eligibility: NodeEligibility;
  registered_at_ms: number;
  last_heartbeat_ms: number;
  /** The heartbeat interval last told to the node (soft state; the sweep allows for it). */
  heartbeat_interval_ms?: number;
  /**
   * The credential that first registered the node (`builtin`, `key:<id>`); only it may heartbeat,
   * re-register, move or deregister the node until an admin forgets it. Null: bound at the next registration.
   */
  owner: string | null;
  /**
   * The bearer token the node registered with; the orchestrator presents it when calling the node
   * (a worker accepts its own token). In memory only: nodes re-register after a restart.
   */
  credential?: string;
}

export function toNodeInfo(node: NodeRecord, now: number, desiredPools: PoolDesiredStatus[]): NodeInfo {
  return {
    node_id: node.node_id,
    machine_id: node.machine_id,
    address: node.address,
    pool_ids: node.pool_ids,
    capabilities: node.capabilities,
    status: node.status,
    eligibility: node.eligibility,
    registered_at_ms: node.registered_at_ms,
    last_heartbeat_ms: node.last_heartbeat_ms,
    last_heartbeat_age_ms: Math.max(0, now - node.last_heartbeat_ms),
    version: node.version,
    pools: node.pools,
    models: node.models,
    desired_pools: desiredPools,
  };
}
