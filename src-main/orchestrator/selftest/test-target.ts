import type { PoolSnapshot } from "../../../src-shared/nodes/pool-snapshot.js";
import type { NodeRecord } from "../registry/node-record.js";

/** A pool the self-test sends its completions to. */
export interface TestTarget {
  node_id: string;
  pool_id: string;
  model_sha256: string;
  model_name: string;
  slots_total: number;
}

/**
 * Pools that can take a completion now (node Online and eligible, pool ready, not held by a drain),
 * smallest model first: the self-test measures the router, so the cheapest model serves it best.
 * Models that cannot generate (embedding or ranking models, by the workloads their header names) are left out.
 */
export function readyGenerationPools(nodes: readonly NodeRecord[], hold: (pool: PoolSnapshot) => string | null): TestTarget[] {
  const found: (TestTarget & { size: number })[] = [];
  for (const node of nodes) {
    if (node.status !== "Online" || node.eligibility !== "eligible") continue;
    for (const pool of node.pools) {
      const model = pool.model;
      if (model === undefined || !pool.ready || pool.draining || pool.slots_total === 0 || hold(pool) !== null) continue;
      const entry = node.models.find((m) => m.sha256 === model.sha256);
      if (entry?.workloads !== undefined && !entry.workloads.includes("completion")) continue;
      found.push({ node_id: node.node_id, pool_id: pool.pool_id, model_sha256: model.sha256, model_name: model.name, slots_total: pool.slots_total, size: entry?.size_bytes ?? Number.MAX_SAFE_INTEGER });
    }
  }
  found.sort((a, b) => a.size - b.size || a.pool_id.localeCompare(b.pool_id));
  return found.map(({ size: _size, ...t }) => t);
}
