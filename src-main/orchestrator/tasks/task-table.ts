import type { Task } from "./task.js";

export const FINISHED_TASKS_KEPT = 2000;
/**
 * Events (mostly tokens) the finished tasks may keep for replay, all together: 2,000 tasks of 4,000
 * tokens each would otherwise hold 8 million event objects. Past it the oldest finished tasks are
 * forgotten early (a late client then gets the outcome from the journal, as for any evicted task).
 */
export const FINISHED_EVENTS_KEPT = 200_000;
/**
 * Finished tasks whose placement keeps its full explanation (why every other pool lost). A live
 * decision holds the registry snapshot of its pump (one object per pool) until the explanation is
 * read; at 1,000 nodes with one task per pump, 2,000 finished tasks would pin 2,000 snapshots (a
 * few hundred MB). Older finished tasks keep the decision's summary (winner, top candidates,
 * rejections per filter), as a journal row does.
 */
export const FINISHED_EXPLAINED_KEPT = 100;
/**
 * Placed tasks (running or finished) whose decision keeps its pump's snapshot, newest placements first.
 * Running tasks count too: each placement made in a pump of its own pins a fresh snapshot, so 1,000
 * tasks running on 1,000 nodes held ~156 MB of heap (≈ 156 KB each) until they finished, growing with
 * nodes × running tasks. Older placements keep the decision's summary, as old finished tasks do.
 */
export const PLACED_EXPLAINED_KEPT = 100;

/**
 * The tasks held in memory: every queued and running task, plus the most recent finished ones so a
 * late client can still replay a stream. Older finished tasks live only in the journal. A finished
 * task keeps its events (for replay) but not its input (prompt, messages, tools: only max_tokens is
 * still read, by its status).
 */
export class TaskTable {
  private readonly tasks = new Map<string, Task>();
  private readonly finishedOrder: string[] = [];
  /** The newest placements, oldest first, whose decisions may still hold their snapshot (PLACED_EXPLAINED_KEPT). */
  private readonly placedOrder: { task: Task; decision: NonNullable<Task["decision"]> }[] = [];
  /** Events held by the tasks in finishedOrder. */
  private finishedEvents = 0;
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

  /** Records a task's placement (task.decision is set): decisions older than the newest PLACED_EXPLAINED_KEPT drop their snapshot. */
  placed(task: Task): void {
    if (task.decision === null) return;
    this.placedOrder.push({ task, decision: task.decision });
    while (this.placedOrder.length > PLACED_EXPLAINED_KEPT) {
      const oldest = this.placedOrder.shift() as { task: Task; decision: NonNullable<Task["decision"]> };
      // A re-placed task has a newer decision, listed on its own.
      if (oldest.task.decision === oldest.decision) oldest.task.decision = withoutSnapshot(oldest.decision);
    }
  }

  /** Records that a task reached its terminal state; the oldest finished tasks are forgotten. */
  finished(task: Task): void {
    task.generation = withoutInput(task.generation);
    task.events.pack();
    this.finishedOrder.push(task.task_id);
    this.finishedEvents += task.events.length;
    while (this.finishedOrder.length > FINISHED_TASKS_KEPT || (this.finishedEvents > FINISHED_EVENTS_KEPT && this.finishedOrder.length > 1)) {
      const oldest = this.finishedOrder.shift() as string;
      this.finishedEvents -= this.tasks.get(oldest)?.events.length ?? 0;
      this.forget(oldest);
    }
    const older = this.finishedOrder[this.finishedOrder.length - 1 - FINISHED_EXPLAINED_KEPT];
    if (older !== undefined) {
      const done = this.tasks.get(older);
      if (done?.decision) done.decision = withoutSnapshot(done.decision);
    }
  }

  private forget(taskId: string): void {
    const key = this.tasks.get(taskId)?.idempotency_key;
    if (key !== undefined && key !== null && this.byKey.get(key) === taskId) this.byKey.delete(key);
    this.tasks.delete(taskId);
  }

  /** How much the table holds (the memory test checks it stays bounded). */
  sizes(): { tasks: number; finished: number; finished_events: number; idempotency_keys: number; subscribers: number; events: number } {
    let subscribers = 0;
    let events = 0;
    for (const task of this.tasks.values()) {
      subscribers += task.subscribers.size;
      events += task.events.length;
    }
    return { tasks: this.tasks.size, finished: this.finishedOrder.length, finished_events: this.finishedEvents, idempotency_keys: this.byKey.size, subscribers, events };
  }

  /** Queued and running tasks of one credential (`key:<id>`): what a revocation ends. */
  unfinishedOf(owner: string, isTerminal: (task: Task) => boolean): Task[] {
    return [...this.tasks.values()].filter((t) => t.owner === owner && !isTerminal(t));
  }

  /** Tasks that are not queued (placed, running, finished), newest first. */
  notQueued(): Task[] {
    return [...this.tasks.values()].filter((t) => t.state !== "queued").sort((a, b) => b.enqueued_at_ms - a.enqueued_at_ms);
  }
}

/**
 * The decision with its eager fields only: the spread leaves out the non-enumerable lazy
 * `candidates` getter, and with it the snapshot (or the computed verdicts) its closure holds.
 */
function withoutSnapshot(decision: NonNullable<Task["decision"]>): NonNullable<Task["decision"]> {
  if (Object.getOwnPropertyDescriptor(decision, "candidates")?.get === undefined) return decision;
  return { ...decision };
}

/** A finished task's generation without its input: prompt, messages, embedding inputs, a rerank query, tools and format go. */
function withoutInput(generation: Task["generation"]): Task["generation"] {
  const { prompt: _prompt, messages: _messages, inputs: _inputs, rank_query: _rankQuery, tools: _tools, format: _format, ...rest } = generation;
  return rest;
}
