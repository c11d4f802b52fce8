import type { PlacementCandidate } from "../placement/placement-types.js";
import type { SchedulableTask } from "./schedulable-task.js";
import { ThroughputTracker } from "./throughput-tracker.js";

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

  predict(task: SchedulableTask, queued: readonly SchedulableTask[], running: readonly SchedulableTask[], candidates: readonly PlacementCandidate[]): number {
    const sha = task.model.sha256;
    const pools = candidates.filter((c) => c.node_schedulable && c.ready && !c.draining && (c.loaded_model === sha || c.models_available.includes(sha)));
    const totalSlots = pools.reduce((n, p) => n + p.slots_total, 0);
    const freeSlots = pools.reduce((n, p) => n + p.slots_free, 0);
    const ahead: SchedulableTask[] = [];
    for (const other of queued) {
      if (other.task_id === task.task_id) break;
      if (other.model.sha256 === sha) ahead.push(other);
    }
    if (ahead.length < freeSlots) return 0;
    const waiting = ahead.slice(freeSlots);
    const sameModel = running.filter((t) => t.model.sha256 === sha);
    const reported = pools.map((p) => p.tokens_per_second).filter((v): v is number => v !== undefined && v > 0);
    const tps = this.throughput.estimate(sha, reported.length > 0 ? reported.reduce((a, b) => a + b, 0) / reported.length : undefined);
    const tokensAhead =
      waiting.reduce((n, t) => n + t.generation.max_tokens, 0) + sameModel.reduce((n, t) => n + Math.max(0, t.generation.max_tokens - t.tokens_out), 0) / Math.max(1, sameModel.length);
    return Math.round((tokensAhead / tps / Math.max(1, totalSlots)) * 1000);
  }
}
