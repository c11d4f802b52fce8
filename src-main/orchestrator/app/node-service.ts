import type { Logger } from "pino";
import type { OrchestratorConfig } from "../../../src-shared/config/orchestrator-config.js";
import { OrchError } from "../../../src-shared/errors/orch-error.js";
import { RESERVED_NODE_ID_MESSAGE, isReservedNodeId } from "../../../src-shared/staging/staging-job.js";
import { LogRateLimiter } from "../../../src-node/log-rate-limiter.js";
import { isLoopbackHost } from "../../../src-shared/config/host-port.js";
import type { HeartbeatRequest } from "../../../src-shared/nodes/heartbeat.js";
import type { NodeInfo } from "../../../src-shared/nodes/node-info.js";
import type { RegisterNodeRequest } from "../../../src-shared/nodes/node-registration.js";
import type { AuditLog } from "../db/audit-log.js";
import type { OrchestratorMetrics } from "../metrics/orchestrator-metrics.js";
import type { NodeTelemetry } from "../metrics/node-telemetry.js";
import type { PoolProber } from "../probes/pool-prober.js";
import { heartbeatIntervalMs } from "../registry/heartbeat-cadence.js";
import type { NodeRecord } from "../registry/node-record.js";
import { NodeRateLimit } from "../registry/node-rate-limit.js";
import { NodeOwnerConflict, PoolIdConflict, type NodeRegistry } from "../registry/node-registry.js";

/** The node_id label of heartbeats for ids that are not registered (not a valid node id, so it names no node). */
export const UNREGISTERED_NODE_LABEL = "(unregistered)";

/** heartbeatVerdict: handle the beat now. */
export const HEARTBEAT_PASS = 0;
/** heartbeatVerdict: a beat that will be refused, from a credential sending too many of them: handle it an interval later. */
export const HEARTBEAT_HOLD_REFUSED = -1;

/** Who asks: the label logs and audit rows carry, and the credential a node is bound to. */
export interface NodeActor {
  label: string;
  credentialId: string;
}

export interface NodeServiceDeps {
  config: () => OrchestratorConfig;
  registry: NodeRegistry;
  prober: PoolProber;
  metrics: OrchestratorMetrics;
  audit: AuditLog;
  logger: Logger;
  /** Host/GPU telemetry that heartbeats carry, kept as a short history. */
  telemetry: NodeTelemetry;
  /** The node id a credential is bound to (a key from a join token), else null. */
  boundNodeOf?: (credentialId: string) => string | null;
  /** The credentials bound to a node id by a join (reserved before its first registration). */
  reservedFor?: (nodeId: string) => readonly string[];
}

/** The nodes area: what the node and dashboard routes do with worker agents' registrations. */
export class NodeService {
  private readonly limitLog = new LogRateLimiter();
  /** Per node id: heartbeats (per interval told) and re-registrations (per minute), each node's own. */
  private readonly beats = new NodeRateLimit();
  private readonly registrations = new NodeRateLimit();
  /** Per credential: heartbeats it sends that will be refused (unknown ids, other credentials' nodes). */
  private readonly refusals = new NodeRateLimit();
  /** Rate-limited requests are logged a few times a minute per node id, not once each. */
  private readonly rateLog = new LogRateLimiter();

  constructor(private readonly deps: NodeServiceDeps) {
    // A node removed from the registry (deregistered, forgotten) takes its buckets along.
    deps.registry.on("lost", (nodeId) => {
      if (deps.registry.get(nodeId) !== undefined) return;
      this.beats.forget(nodeId);
      this.registrations.forget(nodeId);
    });
  }

  /**
   * Before a heartbeat's body is read, what to do with it: HEARTBEAT_PASS (go on), HEARTBEAT_HOLD_REFUSED
   * (it will be refused whatever its body — an id nobody registered: 404, a node bound to another
   * credential: 409 — and its credential sends such beats faster than heartbeat_node_max_per_interval per
   * base interval: handle it an interval later), or the ms the node must wait when it beats faster than
   * heartbeat_node_max_per_interval per interval told to it (answer 429). Only the node's own credential
   * spends its allowance, so no one can spend another node's; refused beats spend their sender's (a key
   * flooding another node's id or made-up ids had each one parsed and answered at once, ~2,300–3,000 a
   * second; an agent meets one 404 after an orchestrator restart, then registers).
   * O(1) and allocation-free for a node at its pace (every agent's every beat comes here).
   */
  heartbeatVerdict(nodeId: string, actor: NodeActor): number {
    const node = this.deps.registry.get(nodeId);
    const config = this.deps.config();
    const perInterval = config.heartbeat_node_max_per_interval;
    if (node === undefined || (node.owner !== null && node.owner !== actor.credentialId)) {
      return this.refusals.take(actor.credentialId, perInterval, config.heartbeat_interval_ms) > 0 ? HEARTBEAT_HOLD_REFUSED : HEARTBEAT_PASS;
    }
    const wait = this.beats.take(nodeId, perInterval, node.heartbeat_interval_ms ?? config.heartbeat_interval_ms);
    if (wait > 0) {
      this.deps.metrics.heartbeatCounts.add(nodeId, "rate_limited");
      const decision = this.rateLog.decide(nodeId);
      if (decision.log) this.deps.logger.warn({ node_id: nodeId, identity: actor.label, reason: "heartbeat_rate", per_interval: perInterval, suppressed_since_last: decision.suppressed }, "node heartbeats faster than its interval allows: answered 429, not processed");
    }
    return wait;
  }

  /** The heartbeat interval last told to a node (the base interval before its first beat). */
  toldIntervalMs(nodeId: string): number {
    return this.deps.registry.get(nodeId)?.heartbeat_interval_ms ?? this.deps.config().heartbeat_interval_ms;
  }

  /**
   * Registers (idempotently) and probes the advertised address; returns the next heartbeat interval.
   * A node is bound to the credential that first registered it: only that one may act on it.
   */
  register(req: RegisterNodeRequest, credential: string | undefined, actor: NodeActor): number {
    // The orchestrator's own store is the staging source of this name: a node taking it would be treated
    // as the store (its address and grant key), breaking every staging from the store.
    if (isReservedNodeId(req.node_id)) throw new OrchError("INVALID_PARAMS", RESERVED_NODE_ID_MESSAGE, { details: { reason: "reserved_node_id" } });
    this.assertBinding(actor, req.node_id, "node_register_refused");
    // With TLS on, prompts go to workers over TLS only; a worker on this machine's loopback may stay plain.
    const address = new URL(req.address);
    if (this.deps.config().tls && address.protocol !== "https:" && !isLoopbackHost(address.hostname)) {
      throw new OrchError("INVALID_PARAMS", `TLS is on: node ${req.node_id} must advertise an https:// address (join it with a join token to get its certificate)`, { details: { reason: "tls_required" } });
    }
    const known = this.deps.registry.get(req.node_id);
    if (known === undefined) this.assertRoomFor(actor, req.node_id);
    else if (known.owner === null || known.owner === actor.credentialId) this.assertRegisterRate(actor, req.node_id);
    const reserved = this.deps.reservedFor?.(req.node_id) ?? [];
    if (reserved.length > 0 && !reserved.includes(actor.credentialId)) {
      this.refuseBinding(actor, req.node_id, "node_register_refused", "node_reserved_by_join", `node ${req.node_id} was joined with a join token: only its own key may register it`);
    }
    try {
      // The worker accepts its own token only, so the orchestrator calls it back with that token.
      this.asOwner(actor, "node_register_refused", req.node_id, () => this.deps.registry.register(req, credential, actor.credentialId));
    } catch (err) {
      this.deps.metrics.nodeRegistrations.inc({ outcome: "error" });
      if (err instanceof PoolIdConflict) throw new OrchError("CONFLICT", err.message);
      throw err;
    }
    this.deps.metrics.nodeRegistrations.inc({ outcome: "success" });
    this.deps.audit.record({ at_ms: Date.now(), identity: actor.label, action: "node_registered", target: req.node_id, outcome: "success", details: { pools: req.pools, address: req.address } });
    this.deps.logger.info({ node_id: req.node_id, address: req.address, pools: req.pools, identity: actor.label }, "node registered");
    // Probe at registration: measures reachability of the address the node advertised.
    void this.deps.prober.probeNode(req.node_id);
    return heartbeatIntervalMs(this.deps.registry.liveCount(), this.deps.config());
  }

  /** Applies a heartbeat; an unknown or Offline node must register again (404). */
  heartbeat(nodeId: string, body: HeartbeatRequest, actor: NodeActor): number {
    // The interval grows with the cluster so the total heartbeat rate stays bounded (heartbeat-cadence.ts).
    this.assertBinding(actor, nodeId, "node_heartbeat_refused");
    const next = heartbeatIntervalMs(this.deps.registry.liveCount(), this.deps.config(), this.deps.registry.watchVouches(nodeId));
    const accepted = this.asOwner(actor, "node_heartbeat_refused", nodeId, () => this.deps.registry.heartbeat(nodeId, body, actor.credentialId, next));
    // An id nobody registered is counted under one label value: heartbeats for made-up ids (a careless or
    // hostile agent) would otherwise add a metric series each, for good (20,000 ids: 20,000 series).
    this.deps.metrics.heartbeatCounts.add(accepted || this.deps.registry.get(nodeId) !== undefined ? nodeId : UNREGISTERED_NODE_LABEL, accepted ? "success" : "error");
    if (!accepted) throw new OrchError("NODE_NOT_FOUND", `node ${nodeId} is not registered (or timed out); register again`);
    if (body.telemetry !== undefined) this.deps.telemetry.record(nodeId, body.telemetry);
    return next;
  }

  deregister(nodeId: string, actor: NodeActor): void {
    this.assertBinding(actor, nodeId, "node_deregister_refused");
    const removed = this.asOwner(actor, "node_deregister_refused", nodeId, () => this.deps.registry.deregister(nodeId, actor.credentialId));
    this.deps.metrics.nodeDeregistrations.inc({ outcome: removed ? "success" : "error" });
    if (!removed) throw new OrchError("NODE_NOT_FOUND", `node ${nodeId} is not registered`);
    this.deps.audit.record({ at_ms: Date.now(), identity: actor.label, action: "node_deregistered", target: nodeId, outcome: "success" });
  }

  /** Admin: drops a node and its credential binding (a machine replaced, a key lost). */
  forget(nodeId: string, actor: string): void {
    if (!this.deps.registry.forget(nodeId, actor)) throw new OrchError("NODE_NOT_FOUND", `node ${nodeId} is not registered`);
    this.deps.audit.record({ at_ms: Date.now(), identity: actor, action: "node_forgotten", target: nodeId, outcome: "success" });
    this.deps.logger.info({ node_id: nodeId, identity: actor }, "node forgotten: its credential binding is dropped");
  }

  list(): NodeInfo[] {
    const now = Date.now();
    return this.deps.registry.list().map((n) => this.deps.registry.describe(n, now));
  }

  /** One node with its event history. */
  detail(nodeId: string): NodeInfo & { events: ReturnType<NodeRegistry["events"]> } {
    const node = this.get(nodeId);
    return { ...this.deps.registry.describe(node, Date.now()), events: this.deps.registry.events(node.node_id) };
  }

  /** Operator drain (ineligible: no new placements) or undrain of a whole node. */
  setEligibility(nodeId: string, eligibility: "eligible" | "ineligible", actor: string): void {
    const node = this.get(nodeId);
    this.deps.registry.setEligibility(node.node_id, eligibility);
    this.deps.audit.record({ at_ms: Date.now(), identity: actor, action: eligibility === "ineligible" ? "node_drained" : "node_undrained", target: node.node_id, outcome: "success" });
  }

  /** Online nodes, for summaries (capabilities, Ollama's /api/ps). */
  online(): NodeRecord[] {
    return this.deps.registry.list().filter((n) => n.status === "Online");
  }

  /**
   * Re-registering a known id (by its owner) at most node_register_max_per_min a minute: each one writes
   * the node, records a node event and probes the address, so a loop (or an address changed every beat)
   * wrote the history and called out as fast as it was sent. New ids are bounded by the node limits.
   */
  private assertRegisterRate(actor: NodeActor, nodeId: string): void {
    const perMin = this.deps.config().node_register_max_per_min;
    const wait = this.registrations.take(nodeId, perMin, 60_000);
    if (wait === 0) return;
    this.deps.metrics.nodeRegistrations.inc({ outcome: "rate_limited" });
    const decision = this.rateLog.decide(nodeId);
    if (decision.log) this.deps.logger.warn({ node_id: nodeId, identity: actor.label, reason: "register_rate", per_min: perMin, suppressed_since_last: decision.suppressed }, "node re-registers faster than node_register_max_per_min allows: answered 429, not processed");
    throw new OrchError("NODE_RATE_LIMITED", `node ${nodeId} re-registered more than ${perMin} times a minute (node_register_max_per_min); retry after ${wait} ms`, { retry_after_ms: wait, details: { reason: "register_rate" } });
  }

  /** A key from a join token acts on its own node id only (even one nobody owns yet): else 409. */
  private assertBinding(actor: NodeActor, nodeId: string, action: string): void {
    const bound = this.deps.boundNodeOf?.(actor.credentialId) ?? null;
    if (bound !== null && bound !== nodeId) this.refuseBinding(actor, nodeId, action, "key_bound_to_other_node", `this key is bound to node ${bound}, not ${nodeId}`);
  }

  /**
   * A new node id needs room: the registry holds at most max_nodes ids, and one API key at most
   * max_nodes_per_key (before, one `worker` key could register any number of ids, each kept for good
   * with its history: a registry, a dashboard and a database filled from one stolen key). The operator's
   * token and sessions are not limited per credential; a join key is bound to one id anyway.
   */
  private assertRoomFor(actor: NodeActor, nodeId: string): void {
    const config = this.deps.config();
    if (this.deps.registry.size >= config.max_nodes) {
      this.refuseLimit(actor, nodeId, "node_registry_full", `the node registry is full (${config.max_nodes} node ids, max_nodes): deregister or forget unused nodes (POST /v2/nodes/{id}/forget), or raise ORCHD_MAX_NODES`);
    }
    if (!actor.credentialId.startsWith("key:")) return;
    const owned = this.deps.registry.countOwnedBy(actor.credentialId);
    if (owned >= config.max_nodes_per_key) {
      this.refuseLimit(actor, nodeId, "node_limit_per_key", `this key already has ${owned} node ids registered (max_nodes_per_key ${config.max_nodes_per_key}): give each worker its own key (a join token), deregister or forget unused ids, or raise ORCHD_MAX_NODES_PER_KEY`);
    }
  }

  /**
   * Refusals are logged a few times a minute per credential and reason: each was a line of its own, so a
   * key heartbeating another key's node in a loop wrote one warning per request (~1,000 a second).
   */
  private logRefusal(actor: NodeActor, nodeId: string, action: string, reason: string, message: string): void {
    const decision = this.limitLog.decide(`${actor.credentialId}|${reason}`);
    if (decision.log) this.deps.logger.warn({ node_id: nodeId, identity: actor.label, action, reason, suppressed_since_last: decision.suppressed }, message);
  }

  private refuseLimit(actor: NodeActor, nodeId: string, reason: string, message: string): never {
    this.deps.metrics.nodeRegistrations.inc({ outcome: "error" });
    // Aggregated: a key looping over new ids writes a few lines a minute, not one per request.
    this.logRefusal(actor, nodeId, "node_register_refused", reason, "node registration refused: limit reached");
    throw new OrchError("CONFLICT", message, { details: { reason } });
  }

  private refuseBinding(actor: NodeActor, nodeId: string, action: string, reason: string, message: string): never {
    this.deps.audit.record({ at_ms: Date.now(), identity: actor.label, action, target: nodeId, outcome: "denied", details: { reason } });
    this.logRefusal(actor, nodeId, action, reason, "node operation refused");
    throw new OrchError("CONFLICT", message, { details: { reason } });
  }

  /** Runs a node operation; a credential mismatch becomes 409 and (once a minute per node) an audit row. */
  private asOwner<T>(actor: NodeActor, action: string, nodeId: string, op: () => T): T {
    try {
      return op();
    } catch (err) {
      if (!(err instanceof NodeOwnerConflict)) throw err;
      if (err.recorded) this.deps.audit.record({ at_ms: Date.now(), identity: actor.label, action, target: nodeId, outcome: "denied", details: { reason: "node bound to another credential" } });
      this.logRefusal(actor, nodeId, action, "node_owned_by_other_credential", "node operation refused: the node is bound to another credential");
      throw new OrchError("CONFLICT", err.message, { details: { reason: "node_owned_by_other_credential" } });
    }
  }

  private get(nodeId: string): NodeRecord {
    const node = this.deps.registry.get(nodeId);
    if (node === undefined) throw new OrchError("NODE_NOT_FOUND", `no node ${nodeId}`);
    return node;
  }
}
