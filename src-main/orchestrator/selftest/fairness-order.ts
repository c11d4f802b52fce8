import type { Priority } from "../../../src-shared/tasks/task-request.js";

/** One burst task as the orchestrator timed it. */
export interface TimedTask {
  priority: Priority;
  enqueued_at_ms: number;
  started_at_ms: number | null;
}

/**
 * How often the queue broke its promise in a burst: a priority inversion is a batch task that started
 * before an interactive one although it was still waiting when the interactive one arrived; a FIFO
 * inversion is a task that overtook an earlier one of its own lane. Tasks that never started count
 * as started last. Ties (same millisecond) are not inversions.
 */
export function countInversions(tasks: readonly TimedTask[]): { priority: number; fifo: number } {
  const start = (t: TimedTask) => t.started_at_ms ?? Number.POSITIVE_INFINITY;
  let priority = 0;
  let fifo = 0;
  for (const a of tasks) {
    for (const b of tasks) {
      if (a === b || start(b) >= start(a)) continue;
      // b started before a.
      if (a.priority === "interactive" && b.priority === "batch" && start(b) >= a.enqueued_at_ms) priority += 1;
      if (a.priority === b.priority && b.enqueued_at_ms > a.enqueued_at_ms) fifo += 1;
    }
  }
  return { priority, fifo };
}
