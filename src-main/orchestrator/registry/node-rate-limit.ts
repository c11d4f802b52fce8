/** One node's allowance: tokens left and when they were last counted (ms on the limiter's clock). */
interface Bucket {
  tokens: number;
  at: number;
}

/**
 * A token bucket per node id: `perInterval` requests per `intervalMs` on average, at most `perInterval`
 * at once. A node that beats faster than the interval it was told (a buggy or hostile agent) had every
 * beat processed: one worker key heartbeating in a loop (~5,000–12,000 a second on loopback) took 33–88 %
 * of a core, and with its model list in each beat wrote SQLite every beat (node-flood.int.test.ts,
 * bench/fleet-node-flood.mjs). The bucket is per node, so its refusals are never charged to the others.
 *
 * O(1) per request and allocation-free once a node has its bucket (one small object per node, dropped
 * with the node): it sits on the heartbeat path of every agent.
 */
export class NodeRateLimit {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  /**
   * Charges one request to `nodeId`; returns 0 when it is allowed, else the ms until one is (the
   * back-off to advise). `perInterval` 0 allows everything (the limit is off).
   */
  take(nodeId: string, perInterval: number, intervalMs: number): number {
    if (perInterval <= 0) return 0;
    const now = this.now();
    const rate = perInterval / intervalMs;
    let bucket = this.buckets.get(nodeId);
    if (bucket === undefined) {
      bucket = { tokens: perInterval, at: now };
      this.buckets.set(nodeId, bucket);
    } else {
      bucket.tokens = Math.min(perInterval, bucket.tokens + (now - bucket.at) * rate);
      bucket.at = now;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - bucket.tokens) / rate);
  }

  /** Drops a node's bucket (it was removed from the registry). */
  forget(nodeId: string): void {
    this.buckets.delete(nodeId);
  }

  get size(): number {
    return this.buckets.size;
  }
}
