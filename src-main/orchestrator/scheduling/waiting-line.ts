import type { AdmissionPolicy } from "../../../src-shared/config/orchestrator-config.js";
import { AdmissionQueue, type EnqueueResult, type Priority } from "./admission-queue.js";
import type { SchedulableTask } from "./schedulable-task.js";

/** Positions below this are reported on every change; further back, at most once per interval. */
const NOTIFY_EVERY_CHANGE_BELOW = 16;
const NOTIFY_INTERVAL_MS = 1000;

/**
 * The admission queue with the bookkeeping that rides on it: per-model totals of what is queued (for
 * the predicted start of a task joining the tail in O(1)) and which queue position each task was last
 * told (so a moving queue tells each task once per change, throttled far back in a long queue).
 */
export class WaitingLine<T extends SchedulableTask> {
  private readonly queue: AdmissionQueue<T>;
  private readonly byModel = new Map<string, { count: number; tokens: number }>();
  private readonly toldPosition = new Map<string, number>();
  private readonly toldAt = new Map<string, number>();
  /** The queue's shift counter when positions were last told (-1: some are owed). */
  private toldShifts = 0;

  constructor(capacity: number, policy: AdmissionPolicy) {
    this.queue = new AdmissionQueue<T>(capacity, policy);
  }

  configure(capacity: number, policy: AdmissionPolicy): void {
    this.queue.configure(capacity, policy);
  }

  /** Bounded enqueue; a drop-lru victim has left the line when this returns. */
  enqueue(task: T): EnqueueResult<T> {
    const result = this.queue.enqueue(task);
    if (result.accepted) {
      this.count(task, +1);
      if (result.dropped !== null) this.forget(result.dropped);
    }
    return result;
  }

  /** Appends whatever the capacity (a task acknowledged before a restart); returns its position. */
  append(task: T): number {
    const position = this.queue.append(task);
    this.count(task, +1);
    return position;
  }

  requeueFront(task: T): void {
    this.queue.requeueFront(task);
    this.count(task, +1);
  }

  /** Takes a task out of the line; false when it was not queued. */
  remove(task: T): boolean {
    if (this.queue.remove(task.task_id) === null) return false;
    this.forget(task);
    return true;
  }

  /** Empties the line at once (shutdown), returning what was queued. */
  clear(): T[] {
    const all = this.queue.clear();
    for (const task of all) this.forget(task);
    return all;
  }

  positionOf(taskId: string): number {
    return this.queue.positionOf(taskId);
  }

  /** Changes whenever a task leaves the line or moves (appends do not change it): see AdmissionQueue.shifts. */
  get shifts(): number {
    return this.queue.shifts;
  }

  get depth(): number {
    return this.queue.depth;
  }

  depthOf(priority: Priority): number {
    return this.queue.depthOf(priority);
  }

  /** Queued tasks in dispatch order. */
  items(): T[] {
    return this.queue.items();
  }

  /** Tasks of the same model queued before `task`, and their max_tokens, for a task at the tail. */
  aheadOfTail(task: T): { count: number; tokens: number } {
    const totals = this.byModel.get(task.model.sha256);
    return totals === undefined ? { count: 0, tokens: 0 } : { count: totals.count - 1, tokens: totals.tokens - task.generation.max_tokens };
  }

  /** True when positions moved (or some are owed) since they were last told. */
  positionsChanged(): boolean {
    return this.queue.shifts !== this.toldShifts;
  }

  /**
   * The queued tasks that should hear their position now, with their index in dispatch order; marks
   * them told. A task far back whose last notice is under a second old waits for a later pass.
   */
  positionsToTell(now: number): { task: T; index: number; position: number }[] {
    this.toldShifts = this.queue.shifts;
    const out: { task: T; index: number; position: number }[] = [];
    this.queue.items().forEach((task, index) => {
      const position = this.queue.positionOf(task.task_id);
      if (this.toldPosition.get(task.task_id) === position) return;
      if (this.toldPosition.has(task.task_id) || position !== task.queue_position_at_admission) {
        if (position >= NOTIFY_EVERY_CHANGE_BELOW && now - (this.toldAt.get(task.task_id) ?? 0) < NOTIFY_INTERVAL_MS) {
          this.toldShifts = -1; // owed: told on a later pass
          return;
        }
        out.push({ task, index, position });
        this.toldAt.set(task.task_id, now);
      }
      this.toldPosition.set(task.task_id, position);
    });
    return out;
  }

  private forget(task: T): void {
    this.count(task, -1);
    this.toldPosition.delete(task.task_id);
    this.toldAt.delete(task.task_id);
  }

  private count(task: T, delta: 1 | -1): void {
    const sha = task.model.sha256;
    const totals = this.byModel.get(sha) ?? { count: 0, tokens: 0 };
    totals.count += delta;
    totals.tokens += delta * task.generation.max_tokens;
    if (totals.count <= 0) this.byModel.delete(sha);
    else this.byModel.set(sha, totals);
  }
}
