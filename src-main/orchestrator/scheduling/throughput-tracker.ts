/**
 * Measured decode speed per model (exponentially weighted), the basis of predicted_start_ms.
 * Until a model has been measured, pool-reported tokens/s is used, then a conservative prior.
 */
export class ThroughputTracker {
  private readonly tokensPerSecond = new Map<string, number>();
  private static readonly PRIOR_TOKENS_PER_SECOND = 20;
  private static readonly WEIGHT = 0.3;

  record(modelSha: string, tokensOut: number, decodeMs: number): void {
    if (tokensOut <= 0 || decodeMs <= 0) return;
    const sample = (tokensOut * 1000) / decodeMs;
    const previous = this.tokensPerSecond.get(modelSha);
    this.tokensPerSecond.set(modelSha, previous === undefined ? sample : previous + ThroughputTracker.WEIGHT * (sample - previous));
  }

  estimate(modelSha: string, reportedByPools?: number): number {
    return this.tokensPerSecond.get(modelSha) ?? (reportedByPools !== undefined && reportedByPools > 0 ? reportedByPools : ThroughputTracker.PRIOR_TOKENS_PER_SECOND);
  }
}
