import type { Logger } from "pino";
import type { PoolStatus } from "../../../src-shared/worker-api/pool-status.js";
import type { WorkerClient } from "../workers/worker-client.js";
import { probeIntervalMs, type ProbeCadenceSettings } from "./probe-cadence.js";
import type { OrchestratorMetrics } from "../metrics/orchestrator-metrics.js";
import type { NodeRegistry } from "../registry/node-registry.js";

export interface PoolProbeResult {
  pool_id: string;
  node_id: string;
  checked_at_ms: number;
  ok: boolean;
  status: PoolStatus | null;
  error: string | null;
  duration_ms: number;
}

const PROBE_TIMEOUT_MS = 2000;
/** Probes are spread over the interval in slices this far apart, so 1,000 nodes never burst at once. */
const SLICE_MS = 250;

/**
 * Measures pool health by calling each pool's status endpoint on its worker: when a node registers
 * and then every interval. Heartbeats carry state; probes measure reachability and latency
 * (orchd_pool_health_checks_total, orchd_pool_health_check_duration_ms).
 */
export class PoolProber {
  private readonly results = new Map<string, PoolProbeResult>();
  private timer: NodeJS.Timeout | null = null;
  /** Where the next slice of a spread round starts in the node list. */
  private cursor = 0;
  private lastInterval = 0;
  /** Probes owed by the slices so far, in pool-milliseconds. */
  private credit = 0;

  constructor(
    private readonly registry: NodeRegistry,
    private readonly metrics: OrchestratorMetrics,
    /** The one client of a node (workers/worker-clients.ts), so probes go over TLS like every other call. */
    private readonly clientFor: (nodeId: string) => WorkerClient | undefined,
    private readonly logger: Logger,
  ) {}

  /**
   * Probes every pool once per interval, spread evenly over it in slices; the interval stretches
   * with the number of pools (probe-cadence.ts), re-read every slice as nodes come and go.
   */
  start(settings: ProbeCadenceSettings): void {
    if (settings.pool_probe_interval_ms <= 0) return;
    this.timer = setInterval(() => void this.probeSlice(settings), SLICE_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  last(poolId: string): PoolProbeResult | undefined {
    return this.results.get(poolId);
  }

  async probeAll(): Promise<void> {
    const probes: Promise<unknown>[] = [];
    for (const node of this.registry.list()) {
      if (node.status === "Offline") continue;
      for (const poolId of node.pool_ids) probes.push(this.probe(node.node_id, poolId));
    }
    await Promise.allSettled(probes);
  }

  /** The next slice of the node list: as many pools as the cadence gives one slice, from where the last stopped. */
  async probeSlice(settings: ProbeCadenceSettings): Promise<void> {
    this.forgetGonePools();
    const nodes = this.registry.list();
    let pools = 0;
    for (const node of nodes) pools += node.pool_ids.length;
    const interval = probeIntervalMs(pools, settings);
    this.lastInterval = interval;
    if (interval === 0) return;
    // Owed probes accrue slice by slice, in pool-milliseconds (a pool costs `interval` of them, so 1 pool
    // every 10 s is probed every 40th slice); never more than one round's worth.
    this.credit = Math.min(pools * interval, this.credit + pools * SLICE_MS);
    const probes: Promise<unknown>[] = [];
    for (let seen = 0; this.credit >= interval && seen < nodes.length; seen++) {
      if (this.cursor >= nodes.length) this.cursor = 0;
      const node = nodes[this.cursor++] as (typeof nodes)[number];
      this.credit -= node.pool_ids.length * interval;
      if (node.status === "Offline") continue;
      for (const poolId of node.pool_ids) probes.push(this.probe(node.node_id, poolId));
    }
    await Promise.allSettled(probes);
  }

  /** The probe interval the last slice worked to (0 before the first, or when probes are off). */
  get intervalMs(): number {
    return this.lastInterval;
  }

  async probeNode(nodeId: string): Promise<void> {
    this.forgetGonePools();
    const node = this.registry.get(nodeId);
    if (node) await Promise.allSettled(node.pool_ids.map((p) => this.probe(nodeId, p)));
  }

  async probe(nodeId: string, poolId: string): Promise<PoolProbeResult> {
    const node = this.registry.get(nodeId);
    const started = performance.now();
    let result: PoolProbeResult;
    try {
      if (!node) throw new Error(`node ${nodeId} is not registered`);
      const client = this.clientFor(nodeId);
      if (!client) throw new Error(`node ${nodeId} is not registered`);
      const status = await client.poolStatus(poolId, PROBE_TIMEOUT_MS);
      result = { pool_id: poolId, node_id: nodeId, checked_at_ms: Date.now(), ok: true, status, error: null, duration_ms: performance.now() - started };
    } catch (err) {
      result = { pool_id: poolId, node_id: nodeId, checked_at_ms: Date.now(), ok: false, status: null, error: err instanceof Error ? err.message : String(err), duration_ms: performance.now() - started };
      this.logger.debug({ node_id: nodeId, pool_id: poolId, error: result.error }, "pool probe failed");
    }
    // The pool went while it was probed (its node re-registered without it, or left): nothing to keep.
    if (this.registry.ownerOfPool(poolId) === undefined) return result;
    this.metrics.poolHealthChecks.inc({ pool_id: poolId, outcome: result.ok ? "success" : "error" });
    this.metrics.poolHealthCheckDuration.observe({ pool_id: poolId }, result.duration_ms);
    this.results.set(poolId, result);
    return result;
  }

  /**
   * Drops the last result and the metric series of pools no node serves any more (deregistered,
   * forgotten, left out of a re-registration): pool ids come from the nodes, so a node re-registering
   * with new ids each time would otherwise add series (and results) for good.
   */
  private forgetGonePools(): void {
    for (const poolId of this.results.keys()) {
      if (this.registry.ownerOfPool(poolId) !== undefined) continue;
      this.results.delete(poolId);
      this.metrics.poolHealthChecks.remove({ pool_id: poolId, outcome: "success" });
      this.metrics.poolHealthChecks.remove({ pool_id: poolId, outcome: "error" });
      this.metrics.poolHealthCheckDuration.remove({ pool_id: poolId });
    }
  }
}
