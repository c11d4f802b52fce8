import { z } from "zod";
import { ModelInventoryEntrySchema } from "../../../src-shared/models/model-inventory.js";
import { NodeCapabilitiesSchema } from "../../../src-shared/nodes/gpu-capabilities.js";
import { NodeEligibilitySchema, NodeStatusSchema } from "../../../src-shared/nodes/node-info.js";
import { NodeEventSchema } from "../../../src-shared/dashboard/cluster-events.js";
import type { NodeEvent } from "../registry/node-event.js";
import type { NodeRecord } from "../registry/node-record.js";
import type { Db } from "./database.js";
import { bestEffort, type WriteFailureReporter } from "./write-failure-reporter.js";

const NodeRowSchema = z.object({
  node_id: z.string(),
  machine_id: z.string(),
  address: z.string(),
  version: z.string().nullable(),
  capabilities_json: z.string(),
  pools_json: z.string(),
  models_json: z.string(),
  status: NodeStatusSchema,
  eligibility: NodeEligibilitySchema,
  registered_at_ms: z.number(),
  last_heartbeat_ms: z.number(),
  owner: z.string().nullable(),
});

const NodeEventRowSchema = z.object({
  at_ms: z.number(),
  kind: NodeEventSchema.shape.kind,
  message: z.string(),
  from_status: NodeStatusSchema.nullable(),
  to_status: NodeStatusSchema.nullable(),
});

/**
 * Node events (the nodes' history in the dashboard and GET /v2/nodes/{id}) kept in all: the newest
 * 100,000 rows, at most about PRUNE_EVERY_APPENDS more between prunes. A node shows its last 100.
 */
export const NODE_EVENT_MAX_ROWS = 100_000;
const PRUNE_EVERY_APPENDS = 1000;

/** Durable part of the node registry: identities, last status and event history survive restarts. */
export class NodeStore {
  private readonly upsertStmt;
  private readonly statusStmt;
  private readonly deleteStmt;
  private readonly eventStmt;
  private readonly eligibilityStmt;

  /**
   * `report`: status, eligibility and event writes go on from memory when the database refuses them
   * (bestEffort); without it they throw. Registration (`save`, which binds the node's credential) always throws.
   */
  private readonly pruneStmt;
  private appendsSincePrune = 0;

  constructor(
    private readonly db: Db,
    private readonly report?: WriteFailureReporter,
    /** Node events kept: the newest this many rows (NODE_EVENT_MAX_ROWS). */
    private readonly maxEventRows: number = NODE_EVENT_MAX_ROWS,
  ) {
    this.upsertStmt = db.prepare(
      `INSERT INTO nodes (node_id, machine_id, address, version, capabilities_json, pools_json, models_json, status, eligibility, registered_at_ms, last_heartbeat_ms, owner)
       VALUES (@node_id, @machine_id, @address, @version, @capabilities_json, @pools_json, @models_json, @status, @eligibility, @registered_at_ms, @last_heartbeat_ms, @owner)
       ON CONFLICT(node_id) DO UPDATE SET machine_id=excluded.machine_id, address=excluded.address, version=excluded.version,
         capabilities_json=excluded.capabilities_json, pools_json=excluded.pools_json, models_json=excluded.models_json,
         status=excluded.status, eligibility=excluded.eligibility, registered_at_ms=excluded.registered_at_ms, last_heartbeat_ms=excluded.last_heartbeat_ms, owner=excluded.owner`,
    );
    this.statusStmt = db.prepare(`UPDATE nodes SET status = ?, last_heartbeat_ms = ?, models_json = ? WHERE node_id = ?`);
    this.deleteStmt = db.prepare(`DELETE FROM nodes WHERE node_id = ?`);
    this.eventStmt = db.prepare(`INSERT INTO node_events (node_id, at_ms, kind, message, from_status, to_status) VALUES (?, ?, ?, ?, ?, ?)`);
    this.eligibilityStmt = db.prepare(`UPDATE nodes SET eligibility = ? WHERE node_id = ?`);
    // Ids only grow (AUTOINCREMENT): everything more than maxEventRows below the newest goes, by the primary key.
    this.pruneStmt = db.prepare(`DELETE FROM node_events WHERE id <= (SELECT MAX(id) FROM node_events) - ?`);
    this.pruneEvents();
  }

  /** Drops all but the newest node events; returns how many went. */
  pruneEvents(): number {
    this.appendsSincePrune = 0;
    let removed = 0;
    this.write("node event pruning", () => (removed = this.pruneStmt.run(this.maxEventRows).changes));
    return removed;
  }

  save(node: NodeRecord): void {
    this.upsertStmt.run({
      node_id: node.node_id,
      machine_id: node.machine_id,
      address: node.address,
      version: node.version,
      capabilities_json: JSON.stringify(node.capabilities),
      pools_json: JSON.stringify(node.pool_ids),
      models_json: JSON.stringify(node.models),
      status: node.status,
      eligibility: node.eligibility,
      registered_at_ms: node.registered_at_ms,
      last_heartbeat_ms: node.last_heartbeat_ms,
      owner: node.owner,
    });
  }

  saveStatus(node: NodeRecord): void {
    this.write("node status", () => this.statusStmt.run(node.status, node.last_heartbeat_ms, JSON.stringify(node.models), node.node_id));
  }

  saveEligibility(node: NodeRecord): void {
    this.write("node eligibility", () => this.eligibilityStmt.run(node.eligibility, node.node_id));
  }

  delete(nodeId: string): void {
    this.deleteStmt.run(nodeId);
  }

  appendEvent(nodeId: string, event: NodeEvent): void {
    this.write("node event", () => this.eventStmt.run(nodeId, event.at_ms, event.kind, event.message, event.from ?? null, event.to ?? null));
    // Bounded history: a key cycling register/deregister wrote two rows per cycle, for good (~650 rows/s from one client).
    if (++this.appendsSincePrune >= PRUNE_EVERY_APPENDS) this.pruneEvents();
  }

  private write(what: string, run: () => void): void {
    if (this.report === undefined) run();
    else bestEffort(what, this.report, run);
  }

  /** Every known node, as Offline (nothing is known alive until it heartbeats again), with its operator eligibility. */
  loadAll(): NodeRecord[] {
    return this.db.prepare(`SELECT * FROM nodes ORDER BY node_id`).all().map((raw) => {
      const row = NodeRowSchema.parse(raw);
      return {
        node_id: row.node_id,
        machine_id: row.machine_id,
        address: row.address,
        version: row.version,
        capabilities: NodeCapabilitiesSchema.parse(JSON.parse(row.capabilities_json)),
        pool_ids: z.array(z.string()).parse(JSON.parse(row.pools_json)),
        pools: [],
        models: z.array(ModelInventoryEntrySchema).parse(JSON.parse(row.models_json)),
        status: "Offline" as const,
        eligibility: row.eligibility,
        registered_at_ms: row.registered_at_ms,
        last_heartbeat_ms: row.last_heartbeat_ms,
        owner: row.owner,
      };
    });
  }

  events(nodeId: string, limit = 100): NodeEvent[] {
    return this.db
      .prepare(`SELECT at_ms, kind, message, from_status, to_status FROM node_events WHERE node_id = ? ORDER BY id DESC LIMIT ?`)
      .all(nodeId, limit)
      .map((raw): NodeEvent => {
        const row = NodeEventRowSchema.parse(raw);
        return { at_ms: row.at_ms, kind: row.kind, message: row.message, ...(row.from_status !== null ? { from: row.from_status } : {}), ...(row.to_status !== null ? { to: row.to_status } : {}) };
      })
      .reverse();
  }
}
