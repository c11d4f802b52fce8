import type { ClusterStats } from "../../../src-shared/dashboard/cluster-events.js";

const HISTORY_SECONDS = 15 * 60;
const LATENCY_WINDOW = 500;

/**
 * Per-second cluster rates for the Overview charts: tokens/s, finished requests/s and first-token
 * latency percentiles over the last 500 tasks. Keeps 15 minutes of samples.
 */
export class ClusterStatsSampler {
  private tokens = 0;
  private requests = 0;
  private readonly firstTokenMs: number[] = [];
  private readonly history: ClusterStats[] = [];

  noteToken(): void {
    this.tokens++;
  }

  noteFinished(firstTokenMs: number | null): void {
    this.requests++;
    if (firstTokenMs !== null) {
      this.firstTokenMs.push(firstTokenMs);
      if (this.firstTokenMs.length > LATENCY_WINDOW) this.firstTokenMs.shift();
    }
  }

  /** Closes the current second; `gauges` are the instantaneous counts at that moment. */
  sample(now: number, elapsedMs: number, gauges: Omit<ClusterStats, "at_ms" | "tokens_per_second" | "requests_per_second" | "first_token_ms_p50" | "first_token_ms_p95">): ClusterStats {
    const seconds = Math.max(elapsedMs, 1) / 1000;
    const sorted = [...this.firstTokenMs].sort((a, b) => a - b);
    const stats: ClusterStats = {
      at_ms: now,
      tokens_per_second: round(this.tokens / seconds),
      requests_per_second: round(this.requests / seconds),
      first_token_ms_p50: percentile(sorted, 0.5),
      first_token_ms_p95: percentile(sorted, 0.95),
      ...gauges,
    };
    this.tokens = 0;
    this.requests = 0;
    this.history.push(stats);
    if (this.history.length > HISTORY_SECONDS) this.history.shift();
    return stats;
  }

  latest(): ClusterStats | undefined {
    return this.history[this.history.length - 1];
  }

  recent(): ClusterStats[] {
    return [...this.history];
  }
}

function percentile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? null;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
