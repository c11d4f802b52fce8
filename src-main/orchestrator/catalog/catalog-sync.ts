import type { KnownModelStore } from "../db/known-model-store.js";
import type { NodeChange, NodeRegistry } from "../registry/node-registry.js";

/**
 * Keeps the catalog by sha256 current with what workers report: on every registry change, a node
 * whose inventory differs from the last one recorded is written to the store (heartbeats that
 * change nothing cost a string comparison).
 */
export function syncCatalogFromRegistry(registry: NodeRegistry, store: KnownModelStore): () => void {
  const recorded = new Map<string, string>();
  const sync = (nodeId: string, change: NodeChange = "state"): void => {
    if (change === "report") return; // a heartbeat without an inventory
    const node = registry.get(nodeId);
    if (node === undefined) return;
    const signature = node.models.map((m) => `${m.sha256}:${m.file_name}:${m.name}`).sort().join("|");
    if (recorded.get(nodeId) === signature) return;
    recorded.set(nodeId, signature);
    store.recordInventory(nodeId, node.models, Date.now());
  };
  for (const node of registry.list()) sync(node.node_id);
  registry.on("changed", sync);
  return () => registry.off("changed", sync);
}
