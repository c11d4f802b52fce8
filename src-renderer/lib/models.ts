import type { ModelInventoryEntry } from "../../src-shared/models/model-inventory.js";
import type { NodeInfo } from "../../src-shared/nodes/node-info.js";

export type Presence = "present" | "offline" | "absent";

export interface ClusterModel {
  sha256: string;
  entry: ModelInventoryEntry;
  /** node id → whether the node holds it and can serve it now. */
  presence: Record<string, Presence>;
  /** Nodes holding it that are not offline/suspect. */
  liveNodes: string[];
  allNodes: string[];
  fileNames: string[];
}

export type Replication = "replicated" | "single" | "unavailable";

export function replication(m: ClusterModel): Replication {
  if (m.liveNodes.length === 0) return "unavailable";
  return m.liveNodes.length === 1 ? "single" : "replicated";
}

const LIVE = new Set(["Online", "Registering"]);

/** The availability matrix, live from node inventories (models by sha256 × nodes). */
export function clusterModels(nodes: readonly NodeInfo[]): ClusterModel[] {
  const bySha = new Map<string, ClusterModel>();
  for (const node of nodes) {
    for (const m of node.models) {
      let cm = bySha.get(m.sha256);
      if (cm === undefined) {
        cm = { sha256: m.sha256, entry: m, presence: {}, liveNodes: [], allNodes: [], fileNames: [] };
        bySha.set(m.sha256, cm);
      }
      const live = LIVE.has(node.status);
      cm.presence[node.node_id] = live ? "present" : "offline";
      cm.allNodes.push(node.node_id);
      if (live) cm.liveNodes.push(node.node_id);
      if (!cm.fileNames.includes(m.file_name)) cm.fileNames.push(m.file_name);
    }
  }
  return [...bySha.values()].sort((a, b) => a.entry.name.localeCompare(b.entry.name));
}
