import type { NodeInfo, NodeStatus } from "../../src-shared/nodes/node-info.js";
import type { PoolSnapshot } from "../../src-shared/nodes/pool-snapshot.js";
import type { TaskState } from "../../src-shared/tasks/task-status.js";
import type { Tone } from "../components/ui.js";

export const NODE_STATUS: Record<NodeStatus, { tone: Tone; words: string }> = {
  Online: { tone: "ok", words: "Online" },
  Registering: { tone: "info", words: "Registering" },
  Suspect: { tone: "warn", words: "Suspect" },
  Offline: { tone: "bad", words: "Offline" },
  Draining: { tone: "idle", words: "Draining" },
};

export type PoolState = "ready" | "busy" | "draining" | "loading" | "error" | "offline";

export function poolState(pool: PoolSnapshot, node: NodeInfo): PoolState {
  if (node.status === "Offline" || node.status === "Suspect") return "offline";
  if (pool.draining) return "draining";
  if (pool.last_error) return pool.ready ? "ready" : "error";
  if (!pool.ready) return "loading";
  return pool.slots_free === 0 && pool.slots_total > 0 ? "busy" : "ready";
}

export const POOL_STATE: Record<PoolState, { tone: Tone; words: string }> = {
  ready: { tone: "ok", words: "Ready" },
  busy: { tone: "info", words: "All slots busy" },
  draining: { tone: "idle", words: "Draining" },
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
  const online = nodes.filter((n) => n.status === "Online" || n.status === "Draining").length;
  if (online === 0) return "down";
  return online === nodes.length ? "healthy" : "degraded";
}

export const HEALTH: Record<ClusterHealth, { tone: Tone; words: string }> = {
  empty: { tone: "idle", words: "No workers yet" },
  healthy: { tone: "ok", words: "Healthy" },
  degraded: { tone: "warn", words: "Degraded" },
  down: { tone: "bad", words: "All nodes down" },
};
