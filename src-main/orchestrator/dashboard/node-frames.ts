import type { ClusterEvent } from "../../../src-shared/dashboard/cluster-events.js";
import type { NodeChange, NodeRegistry } from "../registry/node-registry.js";

/** Refresh frames (heartbeat-only changes) for all nodes together stay under this rate. */
const REFRESH_FRAMES_PER_S = 200;
const MIN_REFRESH_MS = 2000;
const FLUSH_EVERY_MS = 500;

/**
 * The dashboard's node frames. A change of state (status, eligibility, a pool fact, models, desired
 * state progress) goes out at once; a heartbeat that only refreshed counters marks the node for a
 * refresh frame, sent at most every refresh interval per node, which grows with the cluster so
 * 1,000 heartbeating nodes cost the stream ~200 small frames a second, not 1,000.
 */
export class NodeFrames {
  private readonly lastSent = new Map<string, number>();
  private readonly pending = new Set<string>();
  /** Desired-state progress per node with desired pools (it changes without a registry "state"). */
  private readonly desiredKeys = new Map<string, string>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly registry: NodeRegistry,
    private readonly send: (event: ClusterEvent) => void,
    private readonly now: () => number = Date.now,
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
      this.send({ event: "node_removed", data: { node_id: nodeId } });
      return;
    }
    const now = this.now();
    const desiredChanged = this.desiredProgressChanged(nodeId, node.pool_ids);
    if (change === "state" || desiredChanged || now - (this.lastSent.get(nodeId) ?? -Infinity) >= this.refreshIntervalMs()) this.sendNode(nodeId, now);
    else this.pending.add(nodeId);
  }

  /** Sends the refresh frames that are due. */
  flush(): void {
    if (this.pending.size === 0) return;
    const now = this.now();
    const interval = this.refreshIntervalMs();
    for (const nodeId of this.pending) if (now - (this.lastSent.get(nodeId) ?? -Infinity) >= interval) this.sendNode(nodeId, now);
  }

  private refreshIntervalMs(): number {
    return Math.max(MIN_REFRESH_MS, Math.ceil((this.registry.size * 1000) / REFRESH_FRAMES_PER_S));
  }

  private sendNode(nodeId: string, now: number): void {
    this.pending.delete(nodeId);
    const node = this.registry.get(nodeId);
    if (node === undefined) return;
    this.lastSent.set(nodeId, now);
    this.send({ event: "node", data: this.registry.describe(node, now) });
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
    this.pending.delete(nodeId);
    this.desiredKeys.delete(nodeId);
  }
}
