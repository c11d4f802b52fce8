import type { NodeEligibility, NodeInfo, NodeStatus } from "../../src-shared/nodes/node-info.js";
import type { PoolDesiredStatus } from "../../src-shared/nodes/pool-desired.js";
import type { PoolSnapshot } from "../../src-shared/nodes/pool-snapshot.js";
import type { TaskState } from "../../src-shared/tasks/task-status.js";
import type { Tone } from "../components/ui.js";

export const NODE_STATUS: Record<NodeStatus, { tone: Tone; words: string }> = {
  Online: { tone: "ok", words: "Online" },
  Registering: { tone: "info", words: "Registering" },
  Suspect: { tone: "warn", words: "Suspect" },
  Offline: { tone: "bad", words: "Offline" },
};

/** Scheduling eligibility is shown beside the status, never instead of it. */
export const ELIGIBILITY: Record<NodeEligibility, { tone: Tone; words: string }> = {
  eligible: { tone: "ok", words: "Eligible" },
  ineligible: { tone: "idle", words: "Drained" },
};

/** The operator's desired state for the pool, if any. */
export function desiredOf(pool: PoolSnapshot, node: NodeInfo): PoolDesiredStatus | undefined {
  return node.desired_pools.find((d) => d.pool_id === pool.pool_id);
}

export type PoolState = "ready" | "busy" | "draining" | "drained" | "loading" | "error" | "offline";

export function poolState(pool: PoolSnapshot, node: NodeInfo): PoolState {
  if (node.status === "Offline" || node.status === "Suspect") return "offline";
  // An operator drain counts from the request (desired state), not from the worker's confirmation.
  const desired = desiredOf(pool, node);
  if (desired?.draining === true) return desired.convergence.converged && !pool.draining ? "drained" : "draining";
  if (pool.draining) return "draining";
  if (pool.last_error) return pool.ready ? "ready" : "error";
  if (!pool.ready) return "loading";
  return pool.slots_free === 0 && pool.slots_total > 0 ? "busy" : "ready";
}

export const POOL_STATE: Record<PoolState, { tone: Tone; words: string }> = {
  ready: { tone: "ok", words: "Ready" },
  busy: { tone: "info", words: "All slots busy" },
  draining: { tone: "idle", words: "Draining" },
  drained: { tone: "idle", words: "Drained" },
  loading: { tone: "warn", words: "Loading" },
  error: { tone: "bad", words: "Error" },
  offline: { tone: "bad", words: "Node unreachable" },
};

export const TASK_STATE: Record<TaskState, { tone: Tone; words: string }> = {
  queued: { tone: "warn", words: "Queued" },
  dispatching: { tone: "info", words: "Dispatching" },
  running: { tone: "info", words: "Running" },
  completed: { tone: "ok", words: "Completed" },
  failed: { tone: "bad", words: "Failed" },
  canceled: { tone: "idle", words: "Canceled" },
};

export type ClusterHealth = "empty" | "healthy" | "degraded" | "down";

export function clusterHealth(nodes: readonly NodeInfo[]): ClusterHealth {
  if (nodes.length === 0) return "empty";
  const online = nodes.filter((n) => n.status === "Online").length;
  if (online === 0) return "down";
  return online === nodes.length ? "healthy" : "degraded";
}

export const HEALTH: Record<ClusterHealth, { tone: Tone; words: string }> = {
  empty: { tone: "idle", words: "No workers yet" },
  healthy: { tone: "ok", words: "Healthy" },
  degraded: { tone: "warn", words: "Degraded" },
  down: { tone: "bad", words: "All nodes down" },
};
