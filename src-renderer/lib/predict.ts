import type { TaskStatus } from "../../src-shared/tasks/task-status.js";

/** Decode rate of a running task so far (tokens/s), from its first token on; null before it has one. */
export function taskRate(t: TaskStatus, serverNowMs: number): number | null {
  const first = t.timings.first_token_at_ms;
  if (first === null || t.tokens_out < 2) return null;
  const seconds = (serverNowMs - first) / 1000;
  return seconds > 0.2 ? t.tokens_out / seconds : null;
}

/**
 * Estimated wait (ms from now) until a queued task starts: the k-th soonest finish among running
 * tasks of the same model, where k is how many same-model tasks wait ahead of it. Null when there
 * is nothing to estimate from. Used when a task status carries no server predicted_start_ms.
 */
export function predictedStartInMs(task: TaskStatus, active: readonly TaskStatus[], serverNowMs: number): number | null {
  if (task.state !== "queued") return null;
  const sameModel = (t: TaskStatus) => t.model_ref === task.model_ref || (t.model_sha256 !== null && t.model_sha256 === task.model_sha256);
  const remaining: number[] = [];
  for (const t of active) {
    if ((t.state !== "running" && t.state !== "dispatching") || !sameModel(t)) continue;
    const rate = taskRate(t, serverNowMs);
    remaining.push(rate === null ? Number.POSITIVE_INFINITY : ((t.max_tokens - t.tokens_out) / rate) * 1000);
  }
  remaining.sort((a, b) => a - b);
  const ahead = active.filter(
    (t) => t.state === "queued" && t.task_id !== task.task_id && sameModel(t) && (t.priority === task.priority ? (t.queue_position ?? 0) < (task.queue_position ?? 0) : t.priority === "interactive"),
  ).length;
  const estimate = remaining[ahead];
  return estimate === undefined || !Number.isFinite(estimate) ? null : Math.max(0, estimate);
}
