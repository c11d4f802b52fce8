import type { Registry } from "prom-client";
import { CLOUD_METRICS, TASK_METRICS } from "../../../src-shared/metrics/metric-names.js";
import { HISTORY_TIERS, type MetricsHistoryStore } from "./history-store.js";
import type { NodeTelemetry } from "./node-telemetry.js";
import { quantile, readBuckets, readByLabel, type Reading } from "./prom-readings.js";

const MINUTE_MS = HISTORY_TIERS[1].stepMs;

/**
 * Every step: node CPU/RAM/GPU from the heartbeats' telemetry, per-pool tokens/s and first-token
 * p50/p95, queue depth by priority and rejections by reason from the orchestrator's own metrics,
 * written to tier 0; their one-minute means go to tier 1. Series keys are `kind|subject|field`.
 */
export class MetricsHistoryRecorder {
  private timer: NodeJS.Timeout | undefined;
  private previous: { atMs: number; tokens: Reading; rejected: Reading; buckets: Map<string, Map<number, number>> } | undefined;
  private minute: { startMs: number; sums: Map<string, { sum: number; n: number }> } | undefined;

  constructor(
    private readonly store: MetricsHistoryStore,
    private readonly telemetry: NodeTelemetry,
    private readonly registry: Registry,
    private readonly stepMs: () => number,
    /** A step that could not be recorded (a full disk, say): history has a gap, the orchestrator goes on. */
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  start(): void {
    const loop = (): void => {
      this.timer = setTimeout(() => {
        void this.tick().catch(this.onError).finally(loop);
      }, this.stepMs());
      this.timer.unref();
    };
    loop();
  }

  /** Stops the steps and stores the points still in memory (call before the database closes). */
  stop(): void {
    clearTimeout(this.timer);
    try {
      this.store.flush();
    } catch (err) {
      this.onError(err);
    }
  }

  async tick(now = Date.now()): Promise<Map<string, number>> {
    const values = new Map<string, number>();
    this.nodeSeries(now, values);
    await this.taskSeries(now, values);
    this.store.write(0, now, values);
    this.rollMinute(now, values);
    this.store.prune(now);
    return values;
  }

  private nodeSeries(now: number, values: Map<string, number>): void {
    const fresh = this.telemetry.fresh(now - 3 * Math.max(this.stepMs(), 5000));
    let cpuSum = 0;
    let cpuMax = 0;
    let memUsed = 0;
    let memTotal = 0;
    let gpuUtil = 0;
    let gpuUtilN = 0;
    let vramUsed = 0;
    let vramTotal = 0;
    for (const [nodeId, t] of fresh) {
      const used = Math.max(0, t.memory_total_bytes - t.memory_available_bytes);
      values.set(`node|${nodeId}|cpu`, t.cpu_utilization_ratio * 100);
      values.set(`node|${nodeId}|mem_ratio`, t.memory_total_bytes > 0 ? (used / t.memory_total_bytes) * 100 : 0);
      values.set(`node|${nodeId}|mem_used`, used);
      values.set(`node|${nodeId}|mem_total`, t.memory_total_bytes);
      values.set(`node|${nodeId}|load1`, t.load1);
      cpuSum += t.cpu_utilization_ratio;
      cpuMax = Math.max(cpuMax, t.cpu_utilization_ratio);
      memUsed += used;
      memTotal += t.memory_total_bytes;
      for (const g of t.gpus) {
        const key = `gpu|${nodeId}|${g.gpu}`;
        if (g.utilization_ratio !== null) {
          values.set(`${key}|util`, g.utilization_ratio * 100);
          gpuUtil += g.utilization_ratio;
          gpuUtilN++;
        }
        if (g.memory_used_bytes !== null) values.set(`${key}|vram_used`, g.memory_used_bytes);
        if (g.memory_total_bytes !== null) values.set(`${key}|vram_total`, g.memory_total_bytes);
        if (g.memory_used_bytes !== null && g.memory_total_bytes !== null) {
          vramUsed += g.memory_used_bytes;
          vramTotal += g.memory_total_bytes;
        }
        if (g.temperature_celsius !== null) values.set(`${key}|temp`, g.temperature_celsius);
        if (g.power_watts !== null) values.set(`${key}|power`, g.power_watts);
      }
    }
    if (fresh.length === 0) return;
    values.set("cluster||cpu_mean", (cpuSum / fresh.length) * 100);
    values.set("cluster||cpu_max", cpuMax * 100);
    values.set("cluster||mem_ratio", memTotal > 0 ? (memUsed / memTotal) * 100 : 0);
    if (gpuUtilN > 0) values.set("cluster||gpu_util_mean", (gpuUtil / gpuUtilN) * 100);
    if (vramTotal > 0) values.set("cluster||vram_ratio", (vramUsed / vramTotal) * 100);
  }

  private async taskSeries(now: number, values: Map<string, number>): Promise<void> {
    const tokens = await readByLabel(this.registry, TASK_METRICS.tokensOut.name, "pool_id");
    const rejected = await readByLabel(this.registry, TASK_METRICS.tasksRejected.name, "reason");
    const queue = await readByLabel(this.registry, TASK_METRICS.queueDepth.name, "priority");
    const buckets = await readBuckets(this.registry, TASK_METRICS.latencyFirstToken.name, "pool_id");
    for (const [priority, depth] of queue) values.set(`queue||${priority}`, depth);
    const available = await readByLabel(this.registry, CLOUD_METRICS.poolsAvailable.name, "pool_id");
    const prev = this.previous;
    this.previous = { atMs: now, tokens, rejected, buckets };
    if (prev === undefined) return;
    const seconds = Math.max(now - prev.atMs, 1) / 1000;
    let clusterTokens = 0;
    // Pools that are available get a 0 line while idle, so an idle pool is visible as idle.
    const pools = new Set([...tokens.keys(), ...available.keys()]);
    for (const pool of pools) {
      const rate = Math.max(0, (tokens.get(pool) ?? 0) - (prev.tokens.get(pool) ?? 0)) / seconds;
      values.set(`pool|${pool}|tokens_per_s`, rate);
      clusterTokens += rate;
    }
    values.set("cluster||tokens_per_s", clusterTokens);
    for (const [reason, count] of rejected) values.set(`reject||${reason}`, Math.max(0, count - (prev.rejected.get(reason) ?? 0)) / seconds);
    for (const [pool, now_] of buckets) {
      const before = prev.buckets.get(pool);
      const increments = new Map([...now_].map(([le, c]) => [le, c - (before?.get(le) ?? 0)]));
      const p50 = quantile(0.5, increments);
      const p95 = quantile(0.95, increments);
      if (p50 !== null) values.set(`pool|${pool}|ft_p50`, p50);
      if (p95 !== null) values.set(`pool|${pool}|ft_p95`, p95);
    }
  }

  private rollMinute(now: number, values: ReadonlyMap<string, number>): void {
    const startMs = Math.floor(now / MINUTE_MS) * MINUTE_MS;
    if (this.minute !== undefined && this.minute.startMs !== startMs) {
      const means = new Map([...this.minute.sums].map(([k, { sum, n }]) => [k, sum / n]));
      this.store.write(1, this.minute.startMs, means);
      this.minute = undefined;
    }
    this.minute ??= { startMs, sums: new Map() };
    for (const [k, v] of values) {
      const acc = this.minute.sums.get(k) ?? { sum: 0, n: 0 };
      acc.sum += v;
      acc.n++;
      this.minute.sums.set(k, acc);
    }
  }
}
