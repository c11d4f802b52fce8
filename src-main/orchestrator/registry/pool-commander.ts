import type { DrainRequest, WorkerReloadRequest } from "../../../src-shared/worker-api/pool-commands.js";
import type { NodeRecord } from "./node-record.js";

/** How the reconciler talks to a worker about one pool; a fake stands in for it in unit tests. */
export interface PoolCommander {
  command(node: NodeRecord, poolId: string, command: "drain", body: DrainRequest): Promise<{ status: number; body: unknown }>;
  command(node: NodeRecord, poolId: string, command: "reload", body: WorkerReloadRequest): Promise<{ status: number; body: unknown }>;
  /** The worker's own word for the pool's state ("stopped", "loading", …): heartbeats cannot tell stopped from loading. */
  state(node: NodeRecord, poolId: string): Promise<string>;
}
