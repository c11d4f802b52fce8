import { createStore } from "zustand/vanilla";
import type { NodeEvent } from "../../src-shared/dashboard/cluster-events.js";
import { applyNodeDelta, type NodeDelta } from "../../src-shared/dashboard/node-delta.js";
import type { NodeInfo } from "../../src-shared/nodes/node-info.js";

/** Live node events kept per node (the detail view fetches the full history once). */
const MAX_EVENTS_PER_NODE = 200;

export type NodesDelta =
  | { event: "node"; data: NodeInfo }
  | { event: "node_removed"; data: { node_id: string } }
  | { event: "node_event"; data: { node_id: string; event: NodeEvent } }
  | { event: "node_delta"; data: NodeDelta }
  /** Nodes of a snapshot page: their heartbeat ages are as old as their last frame, so they leave the clock offset alone. */
  | { event: "snapshot_nodes"; data: readonly NodeInfo[] };

export interface NodesState {
  loaded: boolean;
  byId: Record<string, NodeInfo>;
  /** Node ids sorted by id; a new array only when nodes come or go, so big tables re-render little. */
  ids: string[];
  /** Events received live since the snapshot, per node, oldest first. */
  liveEvents: Record<string, NodeEvent[]>;
  /** Local clock minus the orchestrator's clock (ms), for heartbeat ages that tick locally. */
  clockOffsetMs: number;
  reset(nodes: NodeInfo[], receivedAtMs: number): void;
  /** A paged snapshot starts: nodes stay until its end (no flash to empty on a reconnect); the clock is the server's `now_ms`. */
  beginSnapshot(serverNowMs: number, receivedAtMs: number): void;
  /** A paged snapshot ended: nodes it did not list are gone. */
  endSnapshot(listed: ReadonlySet<string>): void;
  /** Applies deltas; false when a `node_delta` could not be applied (the client lost track: resync). */
  applyBatch(deltas: NodesDelta[], receivedAtMs: number): boolean;
}

function offsetFrom(node: NodeInfo, receivedAtMs: number): number {
  // The server computed last_heartbeat_age_ms at its "now": last_heartbeat_ms + age.
  return receivedAtMs - (node.last_heartbeat_ms + node.last_heartbeat_age_ms);
}

function sortedIds(byId: Record<string, NodeInfo>): string[] {
  return Object.keys(byId).sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
}

export const createNodesStore = () =>
  createStore<NodesState>()((set, get) => ({
    loaded: false,
    byId: {},
    ids: [],
    liveEvents: {},
    clockOffsetMs: 0,
    reset(nodes, receivedAtMs) {
      const byId: Record<string, NodeInfo> = {};
      for (const n of nodes) byId[n.node_id] = n;
      const first = nodes[0];
      set({ loaded: true, byId, ids: sortedIds(byId), liveEvents: {}, clockOffsetMs: first ? offsetFrom(first, receivedAtMs) : 0 });
    },
    beginSnapshot(serverNowMs, receivedAtMs) {
      set({ loaded: true, liveEvents: {}, clockOffsetMs: receivedAtMs - serverNowMs });
    },
    endSnapshot(listed) {
      const byId = { ...get().byId };
      let removed = false;
      for (const id of Object.keys(byId)) {
        if (listed.has(id)) continue;
        delete byId[id];
        removed = true;
      }
      if (removed) set({ byId, ids: sortedIds(byId) });
    },
    applyBatch(deltas, receivedAtMs) {
      if (deltas.length === 0) return true;
      const state = get();
      let byId = state.byId;
      let liveEvents = state.liveEvents;
      let membershipChanged = false;
      let offset = state.clockOffsetMs;
      let consistent = true;
      for (const d of deltas) {
        if (d.event === "snapshot_nodes") {
          if (byId === state.byId) byId = { ...byId };
          for (const n of d.data) {
            if (byId[n.node_id] === undefined) membershipChanged = true;
            byId[n.node_id] = n;
          }
        } else if (d.event === "node_delta") {
          const next = applyNodeDelta(byId[d.data.node_id], d.data);
          if (next === null) {
            consistent = false;
            continue;
          }
          if (byId === state.byId) byId = { ...byId };
          if (byId[d.data.node_id] === undefined) membershipChanged = true;
          byId[d.data.node_id] = next;
          if (d.data.set.last_heartbeat_age_ms !== undefined) offset = offsetFrom(next, receivedAtMs);
        } else if (d.event === "node") {
          if (byId === state.byId) byId = { ...byId };
          if (byId[d.data.node_id] === undefined) membershipChanged = true;
          byId[d.data.node_id] = d.data;
          offset = offsetFrom(d.data, receivedAtMs);
        } else if (d.event === "node_removed") {
          if (byId[d.data.node_id] === undefined) continue;
          if (byId === state.byId) byId = { ...byId };
          delete byId[d.data.node_id];
          membershipChanged = true;
        } else {
          if (liveEvents === state.liveEvents) liveEvents = { ...liveEvents };
          const list = [...(liveEvents[d.data.node_id] ?? []), d.data.event];
          liveEvents[d.data.node_id] = list.length > MAX_EVENTS_PER_NODE ? list.slice(-MAX_EVENTS_PER_NODE) : list;
        }
      }
      set({ byId, liveEvents, clockOffsetMs: offset, ...(membershipChanged ? { ids: sortedIds(byId) } : {}) });
      return consistent;
    },
  }));

export type NodesStore = ReturnType<typeof createNodesStore>;

/** Heartbeat age now, on the local clock corrected for the orchestrator's. */
export function heartbeatAgeMs(node: NodeInfo, nowMs: number, clockOffsetMs: number): number {
  return Math.max(0, nowMs - clockOffsetMs - node.last_heartbeat_ms);
}

/** Slots in use over all of a node's pools. */
export function slotUsage(node: NodeInfo): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const p of node.pools) {
    total += p.slots_total;
    busy += Math.max(0, p.slots_total - p.slots_free);
  }
  return { busy, total };
}
