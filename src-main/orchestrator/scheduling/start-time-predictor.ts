import type { PlacementCandidate } from "../placement/placement-types.js";
import type { SchedulableTask } from "./schedulable-task.js";
import { ThroughputTracker } from "./throughput-tracker.js";

interface ModelOutlook {
  totalSlots: number;
  freeSlots: number;
  tps: number;
  /** Remaining tokens of the running tasks of the model, averaged over them. */
  runningTokens: number;
  ahead: number;
  tokensAhead: number;
  /** max_tokens of the tasks ahead that free slots take at once. */
  tokensAbsorbed: number;
}

/**
 * Expected wait before a task starts: the work queued ahead of it for the same model (their
 * max_tokens at the model's measured tokens/s), spread over the slots that serve the model, less
 * what free slots absorb at once.
 */
export class StartTimePredictor {
  private readonly throughput = new ThroughputTracker();

  /** A completed task's measured decode speed. */
  record(modelSha: string, tokensOut: number, decodeMs: number): void {
    this.throughput.record(modelSha, tokensOut, decodeMs);
  }

  /**
   * Prediction for a task joining the tail of the queue, from per-model totals of what is queued
   * ahead (O(pools), not O(queue)): the tasks that free slots absorb are counted at the average size.
   */
  predictTail(task: SchedulableTask, ahead: { count: number; tokens: number }, running: readonly SchedulableTask[], candidates: readonly PlacementCandidate[]): number {
    const m = this.outlook(task.model.sha256, running, candidates);
    if (ahead.count < m.freeSlots) return 0;
    const absorbed = ahead.count === 0 ? 0 : (ahead.tokens / ahead.count) * m.freeSlots;
    return Math.round(((ahead.tokens - absorbed + m.runningTokens) / m.tps / Math.max(1, m.totalSlots)) * 1000);
  }

  /** Predictions for every queued task in one pass (dispatch order), so a long queue costs O(n). */
  predictQueue(queued: readonly SchedulableTask[], running: readonly SchedulableTask[], candidates: readonly PlacementCandidate[]): number[] {
    const models = new Map<string, ModelOutlook>();
    return queued.map((task) => {
      const sha = task.model.sha256;
      let m = models.get(sha);
      if (m === undefined) {
        m = this.outlook(sha, running, candidates);
        models.set(sha, m);
      }
      // Tasks ahead of this one: the first `freeSlots` start at once, the rest wait for tokens to drain.
      const prediction = m.ahead < m.freeSlots ? 0 : Math.round(((m.tokensAhead - m.tokensAbsorbed + m.runningTokens) / m.tps / Math.max(1, m.totalSlots)) * 1000);
      m.ahead++;
      if (m.ahead <= m.freeSlots) m.tokensAbsorbed += task.generation.max_tokens;
      m.tokensAhead += task.generation.max_tokens;
      return prediction;
    });
  }

  private outlook(sha: string, running: readonly SchedulableTask[], candidates: readonly PlacementCandidate[]): ModelOutlook {
    const pools = candidates.filter((c) => c.node_schedulable && c.ready && !c.draining && (c.loaded_model === sha || c.models_available.includes(sha)));
    const sameModel = running.filter((t) => t.model.sha256 === sha);
    const reported = pools.map((p) => p.tokens_per_second).filter((v): v is number => v !== undefined && v > 0);
    return {
      totalSlots: pools.reduce((n, p) => n + p.slots_total, 0),
      freeSlots: pools.reduce((n, p) => n + p.slots_free, 0),
      tps: this.throughput.estimate(sha, reported.length > 0 ? reported.reduce((a, b) => a + b, 0) / reported.length : undefined),
      runningTokens: sameModel.reduce((n, t) => n + Math.max(0, t.generation.max_tokens - t.tokens_out), 0) / Math.max(1, sameModel.length),
      ahead: 0,
      tokensAhead: 0,
      tokensAbsorbed: 0,
    };
  }
}
