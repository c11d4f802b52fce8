import { EventEmitter } from "node:events";
import type { ModelInventoryEntry } from "../../../src-shared/models/model-inventory.js";
import type { HeartbeatRequest } from "../../../src-shared/nodes/heartbeat.js";
import type { NodeStatus } from "../../../src-shared/nodes/node-info.js";
import type { RegisterNodeRequest } from "../../../src-shared/nodes/node-registration.js";
import type { NodeStore } from "../db/node-store.js";
import type { NodeEvent } from "./node-event.js";
import type { NodeRecord } from "./node-record.js";

export interface NodeRegistryEvents {
  /** Anything about a node changed (status, pools, models); the dashboard stream and the scheduler listen. */
  changed: [nodeId: string];
  /** A node became unschedulable (Suspect/Offline/removed): tasks streaming from it must fail over. */
  lost: [nodeId: string, reason: string];
  event: [nodeId: string, event: NodeEvent];
}

/** Registration refused: a pool id is already served by another live node. */
export class PoolIdConflict extends Error {}

export interface LivenessTimings {
  suspectAfterMs: number;
  offlineAfterMs: number;
}

/**
 * Every worker node the orchestrator knows, with the status machine
 * Registering → Online ⇄ Suspect → Offline (→ Online again on heartbeat / re-register).
 * Soft state (pool snapshots, heartbeats) lives here in memory; identities and history are persisted.
 */
export class NodeRegistry extends EventEmitter<NodeRegistryEvents> {
  private readonly nodes = new Map<string, NodeRecord>();
  private readonly poolOwners = new Map<string, string>();

  constructor(
    private readonly store: NodeStore,
    private readonly now: () => number = Date.now,
  ) {
    super();
    for (const node of store.loadAll()) this.nodes.set(node.node_id, node);
  }

  list(): NodeRecord[] {
    return [...this.nodes.values()].sort((a, b) => a.node_id.localeCompare(b.node_id));
  }

  get(nodeId: string): NodeRecord | undefined {
    return this.nodes.get(nodeId);
  }

  /** The node serving a pool, if any node currently registers it. */
  ownerOfPool(poolId: string): NodeRecord | undefined {
    const nodeId = this.poolOwners.get(poolId);
    return nodeId === undefined ? undefined : this.nodes.get(nodeId);
  }

  /** Idempotent: re-registering replaces identity and pools and keeps the operator drain flag. */
  register(req: RegisterNodeRequest, credential?: string): NodeRecord {
    const now = this.now();
    const previous = this.nodes.get(req.node_id);
    // Pool ids are cluster-wide: a live node keeps its pools; an Offline owner yields them.
    for (const poolId of req.pools) {
      const owner = this.ownerOfPool(poolId);
      if (owner !== undefined && owner.node_id !== req.node_id && owner.status !== "Offline") {
        throw new PoolIdConflict(`pool id ${poolId} is already served by node ${owner.node_id}; pool ids must be unique in the cluster`);
      }
    }
    const node: NodeRecord = {
      node_id: req.node_id,
      machine_id: req.machine_id,
      address: req.address.replace(/\/+$/, ""),
      version: req.version ?? null,
      capabilities: req.capabilities,
      pool_ids: req.pools,
      pools: previous?.pools.filter((p) => req.pools.includes(p.pool_id)) ?? [],
      models: req.models ?? previous?.models ?? [],
      status: "Registering",
      drained: previous?.drained ?? false,
      registered_at_ms: now,
      last_heartbeat_ms: now,
      ...(credential !== undefined ? { credential } : previous?.credential !== undefined ? { credential: previous.credential } : {}),
    };
    if (previous) for (const poolId of previous.pool_ids) this.poolOwners.delete(poolId);
    for (const poolId of node.pool_ids) this.poolOwners.set(poolId, node.node_id);
    this.nodes.set(node.node_id, node);
    this.store.save(node);
    const wasAway = previous !== undefined && previous.status !== "Online";
    this.record(node.node_id, {
      at_ms: now,
      kind: "registered",
      message: previous ? `re-registered with ${req.pools.length} pool(s)${wasAway ? ` after being ${previous.status}` : ""}` : `registered with ${req.pools.length} pool(s)`,
    });
    this.emit("changed", node.node_id);
    return node;
  }

  /** Applies a heartbeat; returns false for unknown or Offline nodes (the agent must re-register). */
  heartbeat(nodeId: string, hb: HeartbeatRequest): boolean {
    const node = this.nodes.get(nodeId);
    if (node === undefined || node.status === "Offline") return false;
    const previousStatus = node.status;
    node.last_heartbeat_ms = this.now();
    node.pools = hb.pools.filter((p) => node.pool_ids.includes(p.pool_id) || !this.poolOwners.has(p.pool_id));
    for (const p of node.pools) {
      if (!node.pool_ids.includes(p.pool_id)) node.pool_ids.push(p.pool_id);
      this.poolOwners.set(p.pool_id, node.node_id);
    }
    if (hb.models !== undefined) node.models = hb.models;
    node.status = "Online";
    if (previousStatus !== "Online") {
      this.record(nodeId, {
        at_ms: node.last_heartbeat_ms,
        kind: previousStatus === "Suspect" ? "recovered" : "online",
        message: previousStatus === "Suspect" ? "heartbeats resumed" : "first heartbeat: online",
      });
      this.store.saveStatus(node);
    } else if (hb.models !== undefined) {
      this.store.saveStatus(node);
    }
    this.emit("changed", nodeId);
    return true;
  }

  deregister(nodeId: string): boolean {
    const node = this.nodes.get(nodeId);
    if (node === undefined) return false;
    this.nodes.delete(nodeId);
    for (const poolId of node.pool_ids) if (this.poolOwners.get(poolId) === nodeId) this.poolOwners.delete(poolId);
    this.store.delete(nodeId);
    this.record(nodeId, { at_ms: this.now(), kind: "deregistered", message: "deregistered (graceful shutdown)" });
    this.emit("lost", nodeId, "node deregistered");
    this.emit("changed", nodeId);
    return true;
  }

  /** A connection to the node broke (stream reset, refused): unschedulable at once, Offline if heartbeats stay away. */
  markSuspect(nodeId: string, reason: string): void {
    const node = this.nodes.get(nodeId);
    if (node === undefined || node.status === "Offline" || node.status === "Suspect") return;
    this.transition(node, "Suspect", "suspect", reason);
    this.emit("lost", nodeId, reason);
  }

  setDrained(nodeId: string, drained: boolean): boolean {
    const node = this.nodes.get(nodeId);
    if (node === undefined) return false;
    if (node.drained !== drained) {
      node.drained = drained;
      this.record(nodeId, { at_ms: this.now(), kind: drained ? "drained" : "undrained", message: drained ? "drained by operator" : "undrained by operator" });
      this.emit("changed", nodeId);
    }
    return true;
  }

  /** Liveness sweep: heartbeat silence makes a node Suspect, then Offline. Returns the nodes that changed. */
  sweep(timings: LivenessTimings): string[] {
    const now = this.now();
    const changed: string[] = [];
    for (const node of this.nodes.values()) {
      const silence = now - node.last_heartbeat_ms;
      if (node.status !== "Offline" && silence > timings.offlineAfterMs) {
        this.transition(node, "Offline", "offline", `no heartbeat for ${silence} ms`);
        this.emit("lost", node.node_id, "node offline (heartbeat timeout)");
        changed.push(node.node_id);
      } else if ((node.status === "Online" || node.status === "Registering") && silence > timings.suspectAfterMs) {
        this.transition(node, "Suspect", "suspect", `no heartbeat for ${silence} ms`);
        this.emit("lost", node.node_id, "node suspect (heartbeats missed)");
        changed.push(node.node_id);
      }
    }
    return changed;
  }

  countByStatus(status: NodeStatus): number {
    let n = 0;
    for (const node of this.nodes.values()) if (node.status === status) n++;
    return n;
  }

  events(nodeId: string): NodeEvent[] {
    return this.store.events(nodeId);
  }

  /** Every model any node reports, keyed by sha256, with the nodes holding it. */
  modelHolders(): Map<string, { model: ModelInventoryEntry; nodes: string[] }> {
    const holders = new Map<string, { model: ModelInventoryEntry; nodes: string[] }>();
    for (const node of this.list()) {
      for (const model of node.models) {
        const entry = holders.get(model.sha256) ?? { model, nodes: [] };
        if (!entry.nodes.includes(node.node_id)) entry.nodes.push(node.node_id);
        holders.set(model.sha256, entry);
      }
    }
    return holders;
  }

  private transition(node: NodeRecord, status: NodeStatus, kind: NodeEvent["kind"], message: string): void {
    node.status = status;
    if (status === "Offline") node.pools = node.pools.map((p) => ({ ...p, ready: false }));
    this.store.saveStatus(node);
    this.record(node.node_id, { at_ms: this.now(), kind, message });
    this.emit("changed", node.node_id);
  }

  private record(nodeId: string, event: NodeEvent): void {
    this.store.appendEvent(nodeId, event);
    this.emit("event", nodeId, event);
  }
}
