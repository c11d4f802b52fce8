import type { DrainRequest, WorkerReloadRequest } from "../../../src-shared/worker-api/pool-commands.js";
import type { NodeRecord } from "../registry/node-record.js";
import type { PoolCommander } from "../registry/pool-commander.js";
import type { WorkerClients } from "./worker-clients.js";

const STATUS_TIMEOUT_MS = 2000;

/** The reconciler's commander over the worker API, through the one client factory. */
export function workerPoolCommander(workers: WorkerClients): PoolCommander {
  const client = (node: NodeRecord) => {
    const c = workers.forNode(node.node_id);
    if (c === undefined) throw new Error(`node ${node.node_id} is not registered`);
    return c;
  };
  return {
    command: (node: NodeRecord, poolId: string, command: "drain" | "reload", body: DrainRequest | WorkerReloadRequest) => client(node).poolCommand(poolId, command, body),
    state: async (node, poolId) => (await client(node).poolStatus(poolId, STATUS_TIMEOUT_MS)).state,
  };
}
