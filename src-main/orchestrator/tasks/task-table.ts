import type { Task } from "./task.js";

const FINISHED_TASKS_KEPT = 2000;

/**
 * The tasks held in memory: every queued and running task, plus the most recent finished ones so a
 * late client can still replay a stream. Older finished tasks live only in the journal.
 */
export class TaskTable {
  private readonly tasks = new Map<string, Task>();
  private readonly finishedOrder: string[] = [];
  /** Idempotency-Key → task id: a retry in the same tick as its first request finds it before the journal commits. */
  private readonly byKey = new Map<string, string>();

  get(taskId: string): Task | undefined {
    return this.tasks.get(taskId);
  }

  add(task: Task): void {
    this.tasks.set(task.task_id, task);
    if (task.idempotency_key !== null) this.byKey.set(task.idempotency_key, task.task_id);
  }

  /** The task in memory that an Idempotency-Key was used for. */
  forKey(key: string): Task | undefined {
    const id = this.byKey.get(key);
    return id === undefined ? undefined : this.tasks.get(id);
  }

  /** Forgets a task whose admission was undone (never journaled). */
  remove(taskId: string): void {
    this.forget(taskId);
  }

  /** Records that a task reached its terminal state; the oldest finished tasks are forgotten. */
  finished(task: Task): void {
    this.finishedOrder.push(task.task_id);
    while (this.finishedOrder.length > FINISHED_TASKS_KEPT) this.forget(this.finishedOrder.shift() as string);
  }

  private forget(taskId: string): void {
    const key = this.tasks.get(taskId)?.idempotency_key;
    if (key !== undefined && key !== null && this.byKey.get(key) === taskId) this.byKey.delete(key);
    this.tasks.delete(taskId);
  }

  /** Tasks that are not queued (placed, running, finished), newest first. */
  notQueued(): Task[] {
    return [...this.tasks.values()].filter((t) => t.state !== "queued").sort((a, b) => b.enqueued_at_ms - a.enqueued_at_ms);
  }
}
