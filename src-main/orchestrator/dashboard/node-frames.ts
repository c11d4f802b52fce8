import { diffNode, type NodeDelta } from "../../../src-shared/dashboard/node-delta.js";
import { sameJson } from "../../../src-shared/dashboard/same-json.js";
import type { NodeInfo } from "../../../src-shared/nodes/node-info.js";
import type { NodeChange, NodeRegistry } from "../registry/node-registry.js";

/** One node frame in both forms: whole (`node`, protocol 1) and as a numbered delta (`node_delta`, protocol 2). */
export type NodeFrame =
  | { kind: "node"; node: NodeInfo; delta: NodeDelta }
  | { kind: "removed"; node_id: string; seq: number };

/** Refresh frames (heartbeat-only changes) for all nodes together stay under this rate. */
const REFRESH_FRAMES_PER_S = 200;
const MIN_REFRESH_MS = 2000;
const FLUSH_EVERY_MS = 500;
/**
 * A node's model list goes out at most this often. It is up to ~1 MB (1,024 entries with long names),
 * and a `worker` key whose heartbeats alternated two lists sent every dashboard 19 MB in 1.8 s (one
 * whole list per heartbeat; security adversary, 2026-11-30). Other facts still go out at once.
 */
export const MODELS_FRAME_GAP_MS = 2000;

/**
 * The dashboard's node frames. A change of state (status, eligibility, a pool fact, models, desired
 * state progress) goes out at once; a heartbeat that only refreshed counters marks the node for a
 * refresh frame, sent at most every refresh interval per node, which grows with the cluster so
 * 1,000 heartbeating nodes cost the stream ~200 small frames a second, not 1,000.
 *
 * It also keeps, per node, the state its last frame carried (the baseline every delta is computed
 * against, shared by all subscribers) and numbers the frames; a paged snapshot sends those baselines
 * with the current number, so snapshot + later deltas always add up to what was sent.
 */
export class NodeFrames {
  private readonly lastSent = new Map<string, number>();
  private readonly baselines = new Map<string, NodeInfo>();
  private seq = 0;
  private readonly pending = new Set<string>();
  /** When each node's model list last went out, and the nodes whose newer list waits for MODELS_FRAME_GAP_MS. */
  private readonly modelsSent = new Map<string, number>();
  private readonly modelsWaiting = new Set<string>();
  /** Desired-state progress per node with desired pools (it changes without a registry "state"). */
  private readonly desiredKeys = new Map<string, string>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly registry: NodeRegistry,
    private readonly send: (frame: NodeFrame) => void,
    private readonly now: () => number = Date.now,
    /**
     * Whether anyone reads the frames (a dashboard is connected). While nobody does, a change only drops
     * the node's baseline: nothing is described or diffed (at 1,000 nodes, ~200 refreshes a second for
     * nobody), and the next subscriber's baseline() describes the node as it is then.
     */
    private readonly listening: () => boolean = () => true,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.flush(), FLUSH_EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  changed(nodeId: string, change: NodeChange): void {
    const node = this.registry.get(nodeId);
    if (node === undefined) {
      this.forget(nodeId);
      this.send({ kind: "removed", node_id: nodeId, seq: ++this.seq });
      return;
    }
    if (!this.listening()) {
      this.forget(nodeId);
      return;
    }
    const now = this.now();
    const desiredChanged = this.desiredProgressChanged(nodeId, node.pool_ids);
    if (change === "state" || desiredChanged || now - (this.lastSent.get(nodeId) ?? -Infinity) >= this.refreshIntervalMs()) this.sendNode(nodeId, now);
    else this.pending.add(nodeId);
  }

  /** Sends the refresh frames that are due. */
  flush(): void {
    if (this.pending.size === 0 && this.modelsWaiting.size === 0) return;
    if (!this.listening()) {
      this.pending.clear();
      this.modelsWaiting.clear();
      return;
    }
    const now = this.now();
    const interval = this.refreshIntervalMs();
    for (const nodeId of this.pending) if (now - (this.lastSent.get(nodeId) ?? -Infinity) >= interval) this.sendNode(nodeId, now);
    for (const nodeId of this.modelsWaiting) if (now - (this.modelsSent.get(nodeId) ?? -Infinity) >= MODELS_FRAME_GAP_MS) this.sendNode(nodeId, now);
  }

  private refreshIntervalMs(): number {
    return Math.max(MIN_REFRESH_MS, Math.ceil((this.registry.size * 1000) / REFRESH_FRAMES_PER_S));
  }

  private sendNode(nodeId: string, now: number): void {
    this.pending.delete(nodeId);
    const node = this.registry.get(nodeId);
    if (node === undefined) return;
    this.lastSent.set(nodeId, now);
    let info = this.registry.describe(node, now);
    const prev = this.baselines.get(nodeId);
    // A new model list within MODELS_FRAME_GAP_MS of the last one waits (the frame carries the list last
    // sent, so baselines stay what was sent); flush() sends it when the gap is over.
    if (prev === undefined || !sameJson(prev.models, info.models)) {
      if (prev !== undefined && now - (this.modelsSent.get(nodeId) ?? -Infinity) < MODELS_FRAME_GAP_MS) {
        info = { ...info, models: prev.models };
        this.modelsWaiting.add(nodeId);
      } else {
        this.modelsSent.set(nodeId, now);
        this.modelsWaiting.delete(nodeId);
      }
    } else this.modelsWaiting.delete(nodeId);
    const change = diffNode(prev, info);
    if (change === null) return;
    this.baselines.set(nodeId, info);
    this.send({ kind: "node", node: info, delta: { seq: ++this.seq, ...change } });
  }

  /**
   * Every node as its last frame carried it (registry order), and the number of that last frame. A
   * node never sent yet (restored from the database at start, or changed while nobody listened) is
   * described now and becomes its baseline, as if sent now: its refresh frames start from here, so a
   * dashboard connecting after a quiet spell does not get every node again at once.
   * Baselines are replaced, never mutated, so the array stays a consistent snapshot while it is paged out.
   */
  baseline(): { seq: number; nodes: NodeInfo[] } {
    const now = this.now();
    const nodes = this.registry.list().map((n) => {
      let info = this.baselines.get(n.node_id);
      if (info === undefined) {
        info = this.registry.describe(n, now);
        this.baselines.set(n.node_id, info);
        this.lastSent.set(n.node_id, now);
        this.modelsSent.set(n.node_id, now);
      }
      return info;
    });
    return { seq: this.seq, nodes };
  }

  private desiredProgressChanged(nodeId: string, poolIds: readonly string[]): boolean {
    let key = "";
    for (const poolId of poolIds) {
      const d = this.registry.poolDesiredStatus(poolId);
      if (d !== undefined) key += `${poolId}:${d.convergence.detail}:${d.convergence.attempts}:${d.convergence.last_error ?? ""},`;
    }
    if ((this.desiredKeys.get(nodeId) ?? "") === key) return false;
    if (key === "") this.desiredKeys.delete(nodeId);
    else this.desiredKeys.set(nodeId, key);
    return true;
  }

  private forget(nodeId: string): void {
    this.lastSent.delete(nodeId);
    this.baselines.delete(nodeId);
    this.pending.delete(nodeId);
    this.desiredKeys.delete(nodeId);
    this.modelsSent.delete(nodeId);
    this.modelsWaiting.delete(nodeId);
  }
}
