import { createStore } from "zustand/vanilla";
import { isTerminalTaskState, type TaskStatus } from "../../src-shared/tasks/task-status.js";

/** Finished tasks kept for the board's "recent" list; active tasks are never evicted. */
export const MAX_FINISHED_TASKS = 300;

export interface TasksState {
  loaded: boolean;
  byId: Record<string, TaskStatus>;
  /** Local receipt time of each task's latest frame (for tokens/s estimates). */
  seenAtMs: Record<string, number>;
  reset(tasks: TaskStatus[], receivedAtMs: number): void;
  applyBatch(tasks: TaskStatus[], receivedAtMs: number): void;
  /** The end of a paged snapshot: tasks it did not list are gone. */
  keepOnly(taskIds: ReadonlySet<string>): void;
}

function evictFinished(byId: Record<string, TaskStatus>, seenAtMs: Record<string, number>): void {
  const finished = Object.values(byId).filter((t) => isTerminalTaskState(t.state));
  if (finished.length <= MAX_FINISHED_TASKS) return;
  finished.sort((a, b) => (a.timings.finished_at_ms ?? a.timings.enqueued_at_ms) - (b.timings.finished_at_ms ?? b.timings.enqueued_at_ms));
  for (const t of finished.slice(0, finished.length - MAX_FINISHED_TASKS)) {
    delete byId[t.task_id];
    delete seenAtMs[t.task_id];
  }
}

export const createTasksStore = () =>
  createStore<TasksState>()((set, get) => ({
    loaded: false,
    byId: {},
    seenAtMs: {},
    reset(tasks, receivedAtMs) {
      const byId: Record<string, TaskStatus> = {};
      const seenAtMs: Record<string, number> = {};
      for (const t of tasks) {
        byId[t.task_id] = t;
        seenAtMs[t.task_id] = receivedAtMs;
      }
      evictFinished(byId, seenAtMs);
      set({ loaded: true, byId, seenAtMs });
    },
    applyBatch(tasks, receivedAtMs) {
      if (tasks.length === 0) return;
      const byId = { ...get().byId };
      const seenAtMs = { ...get().seenAtMs };
      for (const t of tasks) {
        const previous = byId[t.task_id];
        // A late progress frame must not resurrect a task already seen terminal.
        if (previous && isTerminalTaskState(previous.state) && !isTerminalTaskState(t.state)) continue;
        byId[t.task_id] = t;
        seenAtMs[t.task_id] = receivedAtMs;
      }
      evictFinished(byId, seenAtMs);
      set({ byId, seenAtMs });
    },
    keepOnly(taskIds) {
      const byId = { ...get().byId };
      const seenAtMs = { ...get().seenAtMs };
      for (const id of Object.keys(byId)) {
        if (taskIds.has(id)) continue;
        delete byId[id];
        delete seenAtMs[id];
      }
      set({ loaded: true, byId, seenAtMs });
    },
  }));

export type TasksStore = ReturnType<typeof createTasksStore>;

export function isActive(t: TaskStatus): boolean {
  return !isTerminalTaskState(t.state);
}

/** Queue board order: running first (oldest start first), then queued by priority class and position. */
export function boardOrder(a: TaskStatus, b: TaskStatus): number {
  const rank = (t: TaskStatus) => (t.state === "running" || t.state === "dispatching" ? 0 : t.state === "queued" ? 1 : 2);
  const r = rank(a) - rank(b);
  if (r !== 0) return r;
  if (rank(a) === 1) {
    if (a.priority !== b.priority) return a.priority === "interactive" ? -1 : 1;
    return (a.queue_position ?? 0) - (b.queue_position ?? 0);
  }
  if (rank(a) === 2) return (b.timings.finished_at_ms ?? 0) - (a.timings.finished_at_ms ?? 0);
  return (a.timings.started_at_ms ?? a.timings.enqueued_at_ms) - (b.timings.started_at_ms ?? b.timings.enqueued_at_ms);
}
