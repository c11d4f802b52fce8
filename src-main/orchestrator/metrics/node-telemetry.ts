import type { HostTelemetry } from "../../../src-shared/nodes/host-telemetry.js";

const HISTORY_PER_NODE = 180;
const MAX_NODES = 10_000;

/**
 * The host/GPU samples workers send with heartbeats: the latest per node and a short bounded
 * history (HISTORY_PER_NODE samples), in memory. The Metrics view's long history is the SQLite
 * downsample written by MetricsHistoryRecorder.
 */
export class NodeTelemetry {
  private readonly byNode = new Map<string, { receivedAtMs: number; samples: HostTelemetry[] }>();

  record(nodeId: string, sample: HostTelemetry, now = Date.now()): void {
    let entry = this.byNode.get(nodeId);
    if (entry === undefined) {
      if (this.byNode.size >= MAX_NODES) this.evictOldest();
      entry = { receivedAtMs: now, samples: [] };
      this.byNode.set(nodeId, entry);
    }
    entry.receivedAtMs = now;
    // Heartbeats come faster than samples change: keep one entry per sample.
    if (entry.samples.at(-1)?.sampled_at_ms === sample.sampled_at_ms) entry.samples[entry.samples.length - 1] = sample;
    else entry.samples.push(sample);
    if (entry.samples.length > HISTORY_PER_NODE) entry.samples.shift();
  }

  latest(nodeId: string): HostTelemetry | undefined {
    return this.byNode.get(nodeId)?.samples.at(-1);
  }

  recent(nodeId: string): readonly HostTelemetry[] {
    return this.byNode.get(nodeId)?.samples ?? [];
  }

  /** Nodes whose last sample arrived after `sinceMs` (a node that stopped reporting drops out of the charts). */
  fresh(sinceMs: number): [string, HostTelemetry][] {
    const out: [string, HostTelemetry][] = [];
    for (const [nodeId, entry] of this.byNode) {
      const last = entry.samples.at(-1);
      if (last !== undefined && entry.receivedAtMs >= sinceMs) out.push([nodeId, last]);
    }
    return out;
  }

  forget(nodeId: string): void {
    this.byNode.delete(nodeId);
  }

  private evictOldest(): void {
    let oldest: string | undefined;
    let at = Infinity;
    for (const [id, e] of this.byNode) if (e.receivedAtMs < at) [oldest, at] = [id, e.receivedAtMs];
    if (oldest !== undefined) this.byNode.delete(oldest);
  }
}
