import { EventEmitter } from "node:events";
import type { ModelInventoryEntry } from "../../../src-shared/models/model-inventory.js";
import type { QuarantinedCopy } from "../../../src-shared/models/quarantined-copy.js";
import type { HeartbeatRequest } from "../../../src-shared/nodes/heartbeat.js";
import type { NodeEligibility, NodeInfo, NodeStatus } from "../../../src-shared/nodes/node-info.js";
import type { PoolDesired, PoolDesiredStatus } from "../../../src-shared/nodes/pool-desired.js";
import type { RegisterNodeRequest } from "../../../src-shared/nodes/node-registration.js";
import type { PoolSnapshot } from "../../../src-shared/nodes/pool-snapshot.js";
import { OWN_STALL_MS } from "../../../src-node/own-stall.js";
import type { NodeStore } from "../db/node-store.js";
import type { NodeEvent } from "./node-event.js";
import { toNodeInfo, type NodeRecord } from "./node-record.js";
import { losesNode, nextNodeStatus, transitionEventKind, type NodeStatusCause } from "./node-status.js";
import { heartbeatOfflineAfterMs, suspectAfterMs } from "./heartbeat-cadence.js";
import { placementHold } from "./pool-convergence.js";
import { samePlacementFacts } from "./pool-report.js";
import { clampCapabilities, clampModels, clampPool, clampQuarantined, clampVersion } from "./node-report-clamp.js";
import type { PoolDesiredChange, PoolDesiredState } from "./pool-desired-state.js";

/**
 * What a change was: "state" (status, eligibility, membership, models, or a pool fact placement
 * depends on) or "report" (a heartbeat that only refreshed liveness and counters). Listeners that
 * only care about placement skip reports, so 1,000 nodes heartbeating cost O(1) each.
 */
export type NodeChange = "state" | "report";

export interface NodeRegistryEvents {
  /** Something about a node changed (status, pools, models, or just a heartbeat); the dashboard stream and the scheduler listen. */
  changed: [nodeId: string, change: NodeChange];
  /** A node became unschedulable (Suspect/Offline/removed): tasks streaming from it must fail over. */
  lost: [nodeId: string, reason: string];
  /** A pool left the cluster (its node deregistered or was forgotten, or stopped reporting it): state kept per pool can go. */
  poolGone: [poolId: string];
  event: [nodeId: string, event: NodeEvent];
}

/** Registration refused: a pool id is already served by another live node. */
export class PoolIdConflict extends Error {}

/**
 * A node id is bound to another credential: re-registering, heartbeating or deregistering it is
 * refused until an admin forgets the node. `recorded` says whether this refusal was written as a
 * node event (at most one a minute per node, so a rogue sender cannot grow the history).
 */
export class NodeOwnerConflict extends Error {
  constructor(
    message: string,
    readonly recorded: boolean,
  ) {
    super(message);
  }
}

/** The owner of nodes registered with the operator's configured or generated token. */
export const BUILTIN_OWNER = "builtin";
/** A watch heard within this long counts as the node's pulse (the worker pings every second). */
export const WATCH_PULSE_MS = 2000;
const REFUSAL_EVENT_INTERVAL_MS = 60_000;

export interface LivenessTimings {
  suspectAfterMs: number;
  offlineAfterMs: number;
  /** The configured base heartbeat interval: a node told a longer one gets a longer suspect threshold. */
  baseIntervalMs?: number;
  /**
   * How often sweep() is called. When given, a gap between two sweeps longer than this plus
   * OWN_STALL_MS counts as the orchestrator's own pause, not as the nodes' silence.
   */
  sweepIntervalMs?: number;
}

/**
 * Every worker node the orchestrator knows. Status changes only through `transition` and the
 * table in node-status.ts; eligibility (operator drain) and pool desired state are separate.
 * Soft state (pool snapshots, heartbeats) lives here in memory; identities, eligibility, desired
 * state and history are persisted. (Over ~350 lines on purpose: membership, status, ownership and
 * pool desired state all change the same records under one set of events; the transition table,
 * cadence and desired-state rules are already in files of their own.)
 */
export class NodeRegistry extends EventEmitter<NodeRegistryEvents> {
  private readonly nodes = new Map<string, NodeRecord>();
  private readonly poolOwners = new Map<string, string>();
  private readonly lastRefusalMs = new Map<string, number>();
  /** Per node, how many times it came (back) Online (see markSuspect). */
  private readonly onlineEpochs = new Map<string, number>();
  /** Quarantined copies already recorded as node events, per node (`file@at_ms`). */
  private readonly quarantinesSeen = new Map<string, Set<string>>();
  /** Per node, the pool ids of its last registration (heartbeats may add others while they report them). */
  private readonly registeredPools = new Map<string, ReadonlySet<string>>();
  /** The node list sorted by id, rebuilt only when membership changes (heartbeats never do). */
  private sorted: NodeRecord[] | null = null;
  /** Nodes per status, kept with every transition so counts are O(1). */
  private readonly statusCounts = new Map<NodeStatus, number>();

  /**
   * Per node, when it was last heard from on the `elapsed` clock. Liveness is judged on it, not on the
   * wall-clock `last_heartbeat_ms`: a step of the host's clock (NTP, `date -s`, a VM resumed) of more
   * than `node_timeout_ms` turned every node Offline at once and failed every running task.
   */
  private readonly heardAt = new Map<string, number>();
  /** Per node, when its watch connection last delivered a byte, on the same clock (see watchHeard). */
  private readonly watchHeardAt = new Map<string, number>();
  private readonly elapsed: () => number;
  private lastSweepAt: number | undefined;
  private creditedLastSweep = false;
  /** The sweep cadence and when a sweep last credited the orchestrator's own stall (see heardStale). */
  private sweepIntervalMs: number | undefined;
  private stallCreditedAt: number | undefined;

  /**
   * @param now wall clock, for the times the API shows
   * @param elapsed monotonic clock for heartbeat silence (default: `performance.now()`, or `now`
   *   when a test passes its own)
   */
  constructor(
    private readonly store: NodeStore,
    private readonly desired: PoolDesiredState,
    private readonly now: () => number = Date.now,
    elapsed?: () => number,
  ) {
    super();
    this.elapsed = elapsed ?? (now === Date.now ? () => performance.now() : now);
    const [wallNow, elapsedNow] = [this.now(), this.elapsed()];
    for (const node of store.loadAll()) {
      this.nodes.set(node.node_id, node);
      // A node known from an earlier run was last heard that long ago (the wall clock is all there is across runs).
      this.heardAt.set(node.node_id, elapsedNow - Math.max(0, wallNow - node.last_heartbeat_ms));
      this.countStatus(node.status, +1);
      // Known pools stay addressable after a restart (an operator may set their desired state); a new live owner takes them over.
      for (const poolId of node.pool_ids) this.poolOwners.set(poolId, node.node_id);
      this.registeredPools.set(node.node_id, new Set(node.pool_ids));
    }
  }

  /** Every node, sorted by id. The array is shared until membership changes: do not modify it. */
  list(): readonly NodeRecord[] {
    this.sorted ??= [...this.nodes.values()].sort((a, b) => (a.node_id < b.node_id ? -1 : a.node_id > b.node_id ? 1 : 0));
    return this.sorted;
  }

  get size(): number {
    return this.nodes.size;
  }

  /** Nodes that are not Offline (they heartbeat, or are expected to). */
  liveCount(): number {
    return this.nodes.size - this.countByStatus("Offline");
  }

  get(nodeId: string): NodeRecord | undefined {
    return this.nodes.get(nodeId);
  }

  /** How many node ids (any status) are bound to `owner`: what a key's node limit counts. */
  countOwnedBy(owner: string): number {
    let n = 0;
    for (const node of this.nodes.values()) if (node.owner === owner) n++;
    return n;
  }

  /** The node serving a pool, if any node currently registers it. */
  ownerOfPool(poolId: string): NodeRecord | undefined {
    const nodeId = this.poolOwners.get(poolId);
    return nodeId === undefined ? undefined : this.nodes.get(nodeId);
  }

  /**
   * Idempotent for the node's owner: re-registering replaces address and pools and keeps the
   * operator's eligibility. The first credential to register a node id owns it (`owner`).
   */
  register(req: RegisterNodeRequest, credential?: string, owner: string = BUILTIN_OWNER): NodeRecord {
    const now = this.now();
    const previous = this.nodes.get(req.node_id);
    if (previous !== undefined) this.assertOwner(previous, owner, `re-registration with address ${req.address}`);
    // Pool ids are cluster-wide: a live node keeps its pools; an Offline one yields them, but only to a
    // node of the same credential. Any other credential taking them over while their node was down (a
    // blip, or every node after an orchestrator restart) received the tasks pinned to them and locked the
    // real node out (409 on its re-registration) for as long as it heartbeated.
    for (const poolId of req.pools) {
      const holder = this.ownerOfPool(poolId);
      if (holder === undefined || holder.node_id === req.node_id) continue;
      if (holder.status !== "Offline") throw new PoolIdConflict(`pool id ${poolId} is already served by node ${holder.node_id}; pool ids must be unique in the cluster`);
      if (holder.owner !== null && holder.owner !== owner) throw new PoolIdConflict(`pool id ${poolId} belongs to node ${holder.node_id} (Offline), registered with another credential; an admin can release it with POST /v2/nodes/${holder.node_id}/forget`);
    }
    const node: NodeRecord = {
      node_id: req.node_id,
      machine_id: req.machine_id,
      address: req.address.replace(/\/+$/, ""),
      version: clampVersion(req.version),
      capabilities: clampCapabilities(req.capabilities),
      pool_ids: req.pools,
      pools: previous?.pools.filter((p) => req.pools.includes(p.pool_id)) ?? [],
      models: req.models !== undefined ? clampModels(req.models) : (previous?.models ?? []),
      status: previous?.status ?? "Registering",
      eligibility: previous?.eligibility ?? "eligible",
      registered_at_ms: now,
      last_heartbeat_ms: now,
      owner: previous?.owner ?? owner,
      ...(credential !== undefined ? { credential } : previous?.credential !== undefined ? { credential: previous.credential } : {}),
    };
    if (previous) for (const poolId of previous.pool_ids) this.poolOwners.delete(poolId);
    for (const poolId of node.pool_ids) this.poolOwners.set(poolId, node.node_id);
    this.registeredPools.set(node.node_id, new Set(node.pool_ids));
    if (previous) this.countStatus(previous.status, -1);
    this.countStatus(node.status, +1);
    this.nodes.set(node.node_id, node);
    this.heardAt.set(node.node_id, this.elapsed());
    this.sorted = null;
    this.store.save(node);
    this.transition(node, "register", previous ? `re-registered with ${req.pools.length} pool(s)` : `registered with ${req.pools.length} pool(s)`);
    return node;
  }

  /**
   * Applies a heartbeat; returns false for unknown or Offline nodes (the agent must re-register).
   * `toldIntervalMs` is the interval the reply tells the agent (the sweep allows for it).
   */
  heartbeat(nodeId: string, hb: HeartbeatRequest, owner: string = BUILTIN_OWNER, toldIntervalMs?: number): boolean {
    const node = this.nodes.get(nodeId);
    if (node === undefined) return false;
    this.assertOwner(node, owner, "heartbeat");
    if (nextNodeStatus(node.status, "heartbeat") === null) return false;
    const previousStatus = node.status;
    const previousPools = node.pools;
    node.last_heartbeat_ms = this.now();
    this.heardAt.set(nodeId, this.elapsed());
    if (toldIntervalMs !== undefined) node.heartbeat_interval_ms = toldIntervalMs;
    const poolsChanged = this.adoptReportedPools(node, hb.pools);
    if (hb.models !== undefined) node.models = clampModels(hb.models);
    if (hb.quarantined !== undefined) this.recordQuarantines(node.node_id, hb.quarantined);
    // A heartbeat that may have waited out the orchestrator's own stall in the socket is no proof the
    // node lives now (fault run seed 61234: a SIGKILLed node's last beats, read after a 4.8 s pause,
    // brought it back Online and two tasks were placed on a dead process). It refreshes the node's
    // report; the next heartbeat brings a Suspect node back.
    const stale = previousStatus === "Suspect" && this.heardStale();
    if (previousStatus !== "Online" && !stale) this.transition(node, "heartbeat", previousStatus === "Suspect" ? "heartbeats resumed" : "first heartbeat");
    else if (hb.models !== undefined) this.store.saveStatus(node);
    const report = previousStatus === "Online" && hb.models === undefined && !poolsChanged && samePlacementFacts(previousPools, node.pools);
    this.emit("changed", nodeId, report ? "report" : "state");
    return true;
  }

  /**
   * A heartbeat's pools become the node's: those it registered, plus any it reports that no other node
   * serves (a model added at run time). A pool taken over by an earlier heartbeat but no longer reported
   * is released, so the node's pool ids are what it registered plus what it reports now (each list at most
   * MAX_POOLS_PER_NODE), however many different ids it sends over time. Returns whether the membership changed.
   */
  private adoptReportedPools(node: NodeRecord, reported: readonly PoolSnapshot[]): boolean {
    const mine = new Set(node.pool_ids);
    node.pools = reported.filter((p) => mine.has(p.pool_id) || !this.poolOwners.has(p.pool_id)).map(clampPool);
    const registered = this.registeredPools.get(node.node_id) ?? new Set(node.pool_ids);
    const next = new Set(registered);
    for (const p of node.pools) next.add(p.pool_id);
    let changed = false;
    for (const poolId of mine) {
      if (next.has(poolId)) continue;
      if (this.poolOwners.get(poolId) === node.node_id) {
        this.poolOwners.delete(poolId);
        this.emit("poolGone", poolId);
      }
      changed = true;
    }
    for (const poolId of next) {
      if (mine.has(poolId)) continue;
      this.poolOwners.set(poolId, node.node_id);
      changed = true;
    }
    if (changed) node.pool_ids = [...next];
    return changed;
  }

  /** Graceful stop, by the node's owner only. */
  deregister(nodeId: string, owner: string = BUILTIN_OWNER): boolean {
    const node = this.nodes.get(nodeId);
    if (node === undefined) return false;
    this.assertOwner(node, owner, "deregistration");
    this.remove(node, "deregistered", "deregistered (graceful shutdown)");
    return true;
  }

  /**
   * Admin: drops the node and the credential it is bound to, so another credential may register the
   * id (a replaced machine, a rotated key). A still-running agent gets 404s and must re-register.
   */
  forget(nodeId: string, by: string): boolean {
    const node = this.nodes.get(nodeId);
    if (node === undefined) return false;
    this.remove(node, "forgotten", `forgotten by ${by}: its credential binding is dropped`);
    return true;
  }

  private remove(node: NodeRecord, kind: "deregistered" | "forgotten", message: string): void {
    const nodeId = node.node_id;
    this.nodes.delete(nodeId);
    this.heardAt.delete(nodeId);
    this.watchHeardAt.delete(nodeId);
    this.lastRefusalMs.delete(nodeId);
    this.registeredPools.delete(nodeId);
    this.countStatus(node.status, -1);
    this.sorted = null;
    const gone = node.pool_ids.filter((poolId) => this.poolOwners.get(poolId) === nodeId);
    for (const poolId of gone) this.poolOwners.delete(poolId);
    this.store.delete(nodeId);
    this.record(nodeId, { at_ms: this.now(), kind, message });
    this.emit("lost", nodeId, `node ${kind}`);
    for (const poolId of gone) this.emit("poolGone", poolId);
    this.emit("changed", nodeId, "state");
  }

  /**
   * The API key `owner` was revoked: every node it registered goes Offline at once (its tasks fail over
   * or fail, once, through "lost") and forgets the key's token, so the orchestrator calls none of them with
   * it again. Before, a revoked `worker` key's nodes stayed Online and kept receiving prompts, with the
   * revoked token as their call credential, until heartbeat silence reached node_timeout_ms (the agents'
   * heartbeats get 401, which the sweep only saw as silence). The ids stay bound to the key: a new key
   * registers them after an admin forgets them. Returns the nodes taken Offline.
   */
  credentialRevoked(owner: string): string[] {
    const changed: string[] = [];
    for (const node of this.nodes.values()) {
      if (node.owner !== owner) continue;
      delete node.credential;
      if (this.transition(node, "credential_revoked", "its key was revoked")) changed.push(node.node_id);
    }
    return changed;
  }

  /** Refuses (NodeOwnerConflict) when the node is bound to another credential than `owner`. */
  private assertOwner(node: NodeRecord, owner: string, what: string): void {
    if (node.owner === null || node.owner === owner) return;
    const now = this.now();
    const recorded = now - (this.lastRefusalMs.get(node.node_id) ?? -Infinity) >= REFUSAL_EVENT_INTERVAL_MS;
    if (recorded) {
      this.lastRefusalMs.set(node.node_id, now);
      this.record(node.node_id, { at_ms: now, kind: "refused", message: `${what} refused: the node is bound to another credential` });
    }
    throw new NodeOwnerConflict(`node ${node.node_id} is registered with another credential; ${what} refused (an admin can release the id with POST /v2/nodes/${node.node_id}/forget)`, recorded);
  }

  /**
   * A connection to the node broke (stream reset, refused): unschedulable at once, Offline if heartbeats
   * stay away. `openedInEpoch` (from onlineEpoch() when the connection was opened): a connection opened
   * before the node last came back Online reports a failure that is already over (a task stream cut by a
   * SIGSTOP that has ended), so it does not mark the recovered node again; heartbeats still decide.
   */
  markSuspect(nodeId: string, reason: string, openedInEpoch?: number): void {
    const node = this.nodes.get(nodeId);
    if (node === undefined) return;
    if (openedInEpoch !== undefined && openedInEpoch !== this.onlineEpoch(nodeId)) return;
    this.transition(node, "connection_lost", reason);
  }

  /**
   * One task stream to the node broke (reset, closed, silent, refused). Marks the node Suspect as
   * markSuspect does, unless `watchVouches` says its watch connection is up and heard from just now:
   * then the process is alive and reachable, and the break is that one stream's (a cut connection, a
   * proxy reset), so the node's other streams are not failed over and it stays schedulable. A crash
   * closes the watch too and a hang silences it, so the watch still marks those at once.
   */
  taskStreamLost(nodeId: string, reason: string, openedInEpoch?: number): boolean {
    if (this.watchVouches(nodeId)) return false;
    this.markSuspect(nodeId, reason, openedInEpoch);
    return true;
  }

  /** Set by the node watcher's owner: whether a node's watch connection is live right now. */
  watchVouches: (nodeId: string) => boolean = () => false;

  /**
   * The node's watch delivered a byte (its 1 s keep-alive): a sign of life as good as a heartbeat for
   * the sweep, which is what lets a watched node's heartbeats be told a longer interval. O(1): at 1,000
   * nodes this runs 1,000 times a second.
   */
  watchHeard(nodeId: string): void {
    if (this.nodes.has(nodeId)) this.watchHeardAt.set(nodeId, this.elapsed());
  }

  /** How many times the node has come (back) Online: connections opened in an older epoch are stale. */
  onlineEpoch(nodeId: string): number {
    return this.onlineEpochs.get(nodeId) ?? 0;
  }

  /** Operator drain of a whole node: no new placements on it, whatever its status. Persisted. */
  setEligibility(nodeId: string, eligibility: NodeEligibility): boolean {
    const node = this.nodes.get(nodeId);
    if (node === undefined) return false;
    if (node.eligibility !== eligibility) {
      node.eligibility = eligibility;
      this.store.saveEligibility(node);
      const drained = eligibility === "ineligible";
      this.record(nodeId, { at_ms: this.now(), kind: drained ? "drained" : "undrained", message: drained ? "drained by operator: ineligible for placement" : "undrained by operator: eligible again" });
      this.emit("changed", nodeId, "state");
    }
    return true;
  }

  /** The operator's desired state for a pool, or undefined when none was set. */
  poolDesired(poolId: string): PoolDesired | undefined {
    return this.desired.get(poolId);
  }

  /** Records an operator request for a pool (persisted) and lets the reconciler and placement see it at once. */
  requestPoolState(poolId: string, change: PoolDesiredChange, what: string): PoolDesired {
    const next = this.desired.request(poolId, change);
    const owner = this.ownerOfPool(poolId);
    if (owner !== undefined) {
      this.record(owner.node_id, { at_ms: this.now(), kind: "pool", message: `pool ${poolId}: ${what}` });
      this.emit("changed", owner.node_id, "state");
    }
    return next;
  }

  /** Something the orchestrator decided about a pool (an outlier ejection), in its node's history. */
  recordPoolEvent(poolId: string, what: string): void {
    const owner = this.ownerOfPool(poolId);
    if (owner !== undefined) this.record(owner.node_id, { at_ms: this.now(), kind: "pool", message: `pool ${poolId}: ${what}` });
  }

  /** Why the pool's desired state keeps placements off it right now, or null. */
  placementHold(pool: PoolSnapshot): string | null {
    return placementHold(this.desired.get(pool.pool_id), pool);
  }

  /** Desired state plus convergence for one pool, against what its node last reported. */
  poolDesiredStatus(poolId: string): PoolDesiredStatus | undefined {
    const desired = this.desired.get(poolId);
    if (desired === undefined) return undefined;
    const node = this.ownerOfPool(poolId);
    return this.desired.status(desired, node?.pools.find((p) => p.pool_id === poolId), node?.status, (sha) => this.modelName(node, sha));
  }

  /** The node as the API and the dashboard show it, with its pools' desired state. */
  describe(node: NodeRecord, now: number): NodeInfo {
    const desired: PoolDesiredStatus[] = [];
    for (const poolId of node.pool_ids) {
      const d = this.desired.get(poolId);
      if (d !== undefined) desired.push(this.desired.status(d, node.pools.find((p) => p.pool_id === poolId), node.status, (sha) => this.modelName(node, sha)));
    }
    return toNodeInfo(node, now, desired);
  }

  /** Liveness sweep: heartbeat silence makes a node Suspect, then Offline. Returns the nodes that changed. */
  sweep(timings: LivenessTimings): string[] {
    const now = this.elapsed();
    // A gap between sweeps much longer than their cadence means the orchestrator itself did not run
    // (stopped, paused, its event loop blocked): the heartbeats sent meanwhile wait unread in the
    // sockets. That gap is not the nodes' silence; before, an 8 s pause turned every node Offline and
    // failed every task. Not twice in a row: an orchestrator that is late at every sweep (overloaded)
    // still judges every other one, after the heartbeats that came meanwhile have been read.
    const stalled = timings.sweepIntervalMs !== undefined && this.lastSweepAt !== undefined && now - this.lastSweepAt > timings.sweepIntervalMs + OWN_STALL_MS;
    if (stalled && !this.creditedLastSweep && this.lastSweepAt !== undefined) {
      const gap = now - this.lastSweepAt;
      for (const [nodeId, at] of this.heardAt) this.heardAt.set(nodeId, Math.min(now, at + gap));
      for (const [nodeId, at] of this.watchHeardAt) this.watchHeardAt.set(nodeId, Math.min(now, at + gap));
      this.creditedLastSweep = true;
      this.stallCreditedAt = now;
    } else {
      this.creditedLastSweep = false;
    }
    this.lastSweepAt = now;
    this.sweepIntervalMs = timings.sweepIntervalMs;
    const changed: string[] = [];
    const base = timings.baseIntervalMs ?? Infinity;
    for (const node of this.nodes.values()) {
      const heartbeatAt = this.heardAt.get(node.node_id) ?? now;
      const watchAt = this.watchHeardAt.get(node.node_id);
      // Heartbeat silence is judged as it always was, on thresholds stretched by the interval the node was told.
      const heartbeatSilence = Math.round(now - heartbeatAt);
      const heartbeatCause: NodeStatusCause | null =
        heartbeatSilence > heartbeatOfflineAfterMs(node.heartbeat_interval_ms, { node_timeout_ms: timings.offlineAfterMs }) ? "heartbeat_timeout"
        : heartbeatSilence > suspectAfterMs(node.heartbeat_interval_ms, { heartbeat_interval_ms: base, node_suspect_ms: timings.suspectAfterMs }) ? "heartbeats_missed"
        : null;
      // While the watch pings (heard up to WATCH_PULSE_MS before the last heartbeat, or since), its keep-alive is
      // also the node's pulse, one a second whatever interval its heartbeats were told: when both stop (a hang),
      // the node is Suspect and Offline on the unstretched thresholds, which is what lets a watched node be told
      // a longer interval and still be found hung within node_timeout_ms.
      const watched = watchAt !== undefined && watchAt >= heartbeatAt - WATCH_PULSE_MS;
      const pulseSilence = watched ? Math.round(now - Math.max(watchAt, heartbeatAt)) : heartbeatSilence;
      const pulseCause: NodeStatusCause | null = !watched ? null : pulseSilence > timings.offlineAfterMs ? "heartbeat_timeout" : pulseSilence > timings.suspectAfterMs ? "heartbeats_missed" : null;
      const cause = heartbeatCause === "heartbeat_timeout" || pulseCause === "heartbeat_timeout" ? "heartbeat_timeout" : (heartbeatCause ?? pulseCause);
      const reason =
        pulseCause === null && watched ? `no heartbeat for ${heartbeatSilence} ms (its watch still answers: its heartbeats stopped, its state is stale)`
        : watched ? `no heartbeat or watch keep-alive for ${pulseSilence} ms`
        : `no heartbeat for ${heartbeatSilence} ms`;
      if (cause !== null && this.transition(node, cause, reason)) changed.push(node.node_id);
    }
    return changed;
  }

  /**
   * Whether a message read now may have waited in its socket through the orchestrator's own stall: the
   * sweep is overdue (the process has not run; after a SIGCONT libuv reads the sockets before it runs the
   * late timers), or a sweep credited a stall within the last cadence (a backlog read in later turns).
   */
  private heardStale(): boolean {
    if (this.sweepIntervalMs === undefined || this.lastSweepAt === undefined) return false;
    const now = this.elapsed();
    const overdue = now - this.lastSweepAt > this.sweepIntervalMs + OWN_STALL_MS && !this.creditedLastSweep;
    return overdue || (this.stallCreditedAt !== undefined && now - this.stallCreditedAt <= this.sweepIntervalMs);
  }

  countByStatus(status: NodeStatus): number {
    return this.statusCounts.get(status) ?? 0;
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

  /**
   * The one place a node's status changes: looks the cause up in the transition table, persists the
   * new status, records it as a node event (logged by the orchestrator's event listener) and tells
   * listeners. Returns false when the table has no transition for the cause (nothing changes).
   */
  private transition(node: NodeRecord, cause: NodeStatusCause, reason: string): boolean {
    const from = node.status;
    const to = nextNodeStatus(from, cause);
    if (to === null || (to === from && cause !== "register")) return false;
    node.status = to;
    if (to === "Online" && from !== "Online") this.onlineEpochs.set(node.node_id, this.onlineEpoch(node.node_id) + 1);
    this.countStatus(from, -1);
    this.countStatus(to, +1);
    if (to === "Offline") node.pools = node.pools.map((p) => ({ ...p, ready: false }));
    this.store.saveStatus(node);
    const message = to === from ? reason : `${from} → ${to}: ${reason}`;
    this.record(node.node_id, { at_ms: this.now(), kind: transitionEventKind(from, to), message, from, to });
    this.emit("changed", node.node_id, "state");
    if (losesNode(from, to)) this.emit("lost", node.node_id, `node ${to.toLowerCase()} (${reason})`);
    return true;
  }

  /** Each copy a worker newly reports as quarantined becomes one node event (also across an orchestrator restart). */
  private recordQuarantines(nodeId: string, copies: readonly QuarantinedCopy[]): void {
    let seen = this.quarantinesSeen.get(nodeId);
    if (seen === undefined) {
      seen = new Set(this.store.events(nodeId).filter((e) => e.kind === "model_quarantined").map((e) => String(e.at_ms)));
      this.quarantinesSeen.set(nodeId, seen);
    }
    // The worker resends its most recent copies (at most 64) every beat: what it no longer lists never
    // comes back, so the set need not remember more (fresh at_ms every beat grew it without end).
    if (seen.size > 1024) {
      const listed = new Set(copies.map((c) => String(c.at_ms)));
      for (const at of seen) if (!listed.has(at)) seen.delete(at);
    }
    for (const reported of copies) {
      if (seen.has(String(reported.at_ms))) continue;
      seen.add(String(reported.at_ms));
      const copy = clampQuarantined(reported);
      const expected = copy.expected_sha256 === null ? "" : ` (verified as sha256:${copy.expected_sha256.slice(0, 12)})`;
      this.record(nodeId, { at_ms: copy.at_ms, kind: "model_quarantined", message: `model copy ${copy.file_name}${expected} quarantined: ${copy.reason}` });
    }
  }

  private countStatus(status: NodeStatus, delta: 1 | -1): void {
    this.statusCounts.set(status, (this.statusCounts.get(status) ?? 0) + delta);
  }

  private modelName(node: NodeRecord | undefined, sha256: string): string {
    return node?.models.find((m) => m.sha256 === sha256)?.name ?? `sha256:${sha256.slice(0, 12)}`;
  }

  private record(nodeId: string, event: NodeEvent): void {
    this.store.appendEvent(nodeId, event);
    this.emit("event", nodeId, event);
  }
}
