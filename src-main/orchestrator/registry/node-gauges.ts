import type { NodeGaugeSource } from "../metrics/orchestrator-metrics.js";
import type { NodeRegistry } from "./node-registry.js";

/** orchd_nodes_online, orchd_nodes and orchd_pools_available as read from the registry at scrape time. */
export function nodeGaugeSource(registry: NodeRegistry): NodeGaugeSource {
  return {
    nodesOnline: () => registry.countByStatus("Online"),
    *nodesByStatus() {
      const counts = new Map<string, { status: string; eligibility: string; count: number }>();
      for (const node of registry.list()) {
        const key = `${node.status}|${node.eligibility}`;
        const entry = counts.get(key) ?? { status: node.status, eligibility: node.eligibility, count: 0 };
        entry.count++;
        counts.set(key, entry);
      }
      yield* counts.values();
    },
    *poolsAvailable() {
      for (const node of registry.list()) {
        const schedulable = node.status === "Online" && node.eligibility === "eligible";
        const reported = new Set<string>();
        for (const pool of node.pools) {
          reported.add(pool.pool_id);
          yield { pool_id: pool.pool_id, available: schedulable && pool.ready && !pool.draining && registry.placementHold(pool) === null };
        }
        // Pools known from registration (or a previous run) without a report yet are unavailable.
        for (const poolId of node.pool_ids) if (!reported.has(poolId)) yield { pool_id: poolId, available: false };
      }
    },
  };
}
