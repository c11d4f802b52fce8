import type { Logger } from "pino";
import { OrchError } from "../../../src-shared/errors/orch-error.js";
import type { StageThen, StagingJob } from "../../../src-shared/staging/staging-job.js";
import type { PoolDesiredChange } from "../registry/pool-desired-state.js";

/** The part of the registry (NodeRegistry) a follow-up needs: who owns a pool, and its desired state. */
export interface PoolDesiredWriter {
  ownerOfPool(poolId: string): { node_id: string } | undefined;
  requestPoolState(poolId: string, change: PoolDesiredChange, what: string): unknown;
}

/**
 * Request-time check of `then.reload_pool`: the pool is registered and its node is one of the
 * targets (or already holds the model); otherwise nothing would ever reload it. Returns the node.
 */
export function checkStageThen(then: StageThen, targets: readonly string[], registry: PoolDesiredWriter): string {
  const owner = registry.ownerOfPool(then.reload_pool)?.node_id;
  if (owner === undefined) throw new OrchError("INVALID_PARAMS", `then.reload_pool: no registered node serves pool ${then.reload_pool}`, { pool_id: then.reload_pool });
  if (!targets.includes(owner)) {
    throw new OrchError("INVALID_PARAMS", `then.reload_pool: pool ${then.reload_pool} is on node ${owner}, which is not a target of this stage (${targets.join(", ") || "none"})`, { pool_id: then.reload_pool });
  }
  return owner;
}

/**
 * Once the copy on the pool's node is verified: ask for the pool to serve the model (and not to be
 * drained), as an operator reload does. The desired state is persisted and the pool reconciler
 * sends the worker the reload, retrying across failures. Skipped (logged) if the pool moved away.
 */
export function applyStageThen(then: StageThen, job: Pick<StagingJob, "job_id" | "sha256" | "file_name" | "target_node_id">, registry: PoolDesiredWriter, logger: Logger): boolean {
  const owner = registry.ownerOfPool(then.reload_pool)?.node_id;
  if (owner !== job.target_node_id) {
    logger.warn({ job_id: job.job_id, pool_id: then.reload_pool, node_id: job.target_node_id, owner }, "after staging: the pool is no longer on the target node; not reloading it");
    return false;
  }
  registry.requestPoolState(then.reload_pool, { model: job.sha256, draining: false }, `reload to ${job.file_name} after staging job ${job.job_id}`);
  logger.info({ job_id: job.job_id, pool_id: then.reload_pool, sha256: job.sha256 }, "after staging: pool asked to reload to the staged model");
  return true;
}
