import type { CatalogAvailabilityResponse } from "../../../src-shared/catalog/availability.js";
import type { NodeRecord } from "../registry/node-record.js";

/**
 * GET /v2/catalog/availability, built from what online workers report (pool snapshots and their
 * model inventories). Counting is per node, not per pool: `replicated_models` are held by two or
 * more online nodes, `single_node_models` by exactly one (a single point of failure). Names (ids by
 * the alias rule) and sizes come from the catalog by sha256 when it knows the model.
 */
export function buildAvailability(nodes: readonly NodeRecord[], catalog: ReadonlyMap<string, { name: string; size_bytes: number }> = new Map()): CatalogAvailabilityResponse {
  const online = nodes.filter((n) => n.status === "Online");
  const holders = new Map<string, { name: string; size_bytes: number | null; nodes: string[] }>();
  const out: CatalogAvailabilityResponse = { nodes: {}, total_models: 0, replicated_models: [], single_node_models: [], models: [] };
  for (const node of online) {
    const nodeModels = new Set<string>();
    for (const pool of node.pools) for (const sha of pool.models_available) nodeModels.add(sha);
    for (const m of node.models) nodeModels.add(m.sha256);
    out.nodes[node.node_id] = {
      node_id: node.node_id,
      address: node.address,
      online: true,
      models: [...nodeModels].sort(),
      pools: node.pools.map((p) => ({ pool_id: p.pool_id, ready: p.ready, models: [...new Set(p.models_available)].sort() })),
    };
    for (const sha of nodeModels) {
      const inventory = node.models.find((m) => m.sha256 === sha);
      const poolModel = node.pools.find((p) => p.model?.sha256 === sha)?.model;
      const known = catalog.get(sha);
      const entry = holders.get(sha) ?? { name: known?.name ?? inventory?.name ?? poolModel?.name ?? sha.slice(0, 12), size_bytes: known?.size_bytes ?? inventory?.size_bytes ?? null, nodes: [] };
      entry.nodes.push(node.node_id);
      holders.set(sha, entry);
    }
  }
  const shas = [...holders.keys()].sort();
  out.total_models = shas.length;
  out.replicated_models = shas.filter((s) => (holders.get(s)?.nodes.length ?? 0) >= 2);
  out.single_node_models = shas.filter((s) => holders.get(s)?.nodes.length === 1);
  out.models = shas.map((sha) => {
    const h = holders.get(sha) as { name: string; size_bytes: number | null; nodes: string[] };
    return { sha256: sha, name: h.name, size_bytes: h.size_bytes, nodes: h.nodes.sort() };
  });
  return out;
}
