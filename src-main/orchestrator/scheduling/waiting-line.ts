import type { AdmissionPolicy } from "../../../src-shared/config/orchestrator-config.js";
import { AdmissionQueue, type EnqueueResult, type Priority } from "./admission-queue.js";
import type { SchedulableTask } from "./schedulable-task.js";

/** Positions below this are reported on every change; further back, at most once per interval. */
const NOTIFY_EVERY_CHANGE_BELOW = 16;
const NOTIFY_INTERVAL_MS = 1000;
/** A task placed mid-queue (fair order) counts the same-model tasks ahead of it exactly up to here; further back, pro rata. */
const EXACT_AHEAD_SCAN = 1024;

/**
 * The admission queue with the bookkeeping that rides on it: per-model totals of what is queued (for
 * the predicted start of a task joining the tail in O(1)) and which queue position each task was last
 * told (so a moving queue tells each task once per change, throttled far back in a long queue).
 */
export class WaitingLine<T extends SchedulableTask> {
  private readonly queue: AdmissionQueue<T>;
  /** Per lane, per model: what is queued (count and max_tokens). */
  private readonly byModel: Record<Priority, Map<string, { count: number; tokens: number }>> = { interactive: new Map(), batch: new Map() };
  private readonly toldPosition = new Map<string, number>();
  private readonly toldAt = new Map<string, number>();
  /** The queue's shift counter when positions were last told (-1: some are owed). */
  private toldShifts = 0;
  /** When positionsToTell last walked the whole line. */
  private walkedAt = -Infinity;

  constructor(capacity: number, policy: AdmissionPolicy) {
    this.queue = new AdmissionQueue<T>(capacity, policy);
  }

  configure(capacity: number, policy: AdmissionPolicy): void {
    this.queue.configure(capacity, policy);
  }

  /** Bounded enqueue (`perKeyLimit`: see AdmissionQueue.enqueue); a drop-lru victim has left the line when this returns. */
  enqueue(task: T, perKeyLimit = Infinity): EnqueueResult<T> {
    const result = this.queue.enqueue(task, perKeyLimit);
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

  overallPositionOf(taskId: string): number {
    return this.queue.overallPositionOf(taskId);
  }

  has(taskId: string): boolean {
    return this.queue.has(taskId);
  }

  /** Identities with queued work. */
  get identities(): number {
    return this.queue.identities;
  }

  queuedBy(owner: string | null): number {
    return this.queue.queuedBy(owner);
  }

  countsByOwner(): Map<string | null, number> {
    return this.queue.countsByOwner();
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
    const i = this.byModel.interactive.get(task.model.sha256);
    const b = this.byModel.batch.get(task.model.sha256);
    const count = (i?.count ?? 0) + (b?.count ?? 0);
    return count === 0 ? { count: 0, tokens: 0 } : { count: count - 1, tokens: (i?.tokens ?? 0) + (b?.tokens ?? 0) - task.generation.max_tokens };
  }

  /**
   * Tasks of the same model queued before `task`, which just joined at `position` of its lane: at the
   * tail (always with one identity) from the per-model totals, O(1); placed before others by the fair
   * order, a scan of the lane ahead of it, pro rata past EXACT_AHEAD_SCAN (a far-back estimate, like
   * its throttled position updates). A batch task also has every interactive task of its model ahead.
   */
  aheadOf(task: T, position: number): { count: number; tokens: number } {
    if (position === this.queue.depthOf(task.priority) - 1) return this.aheadOfTail(task);
    const sha = task.model.sha256;
    let count = 0;
    let tokens = 0;
    if (position <= EXACT_AHEAD_SCAN) {
      for (let i = 0; i < position; i++) {
        const other = this.queue.at(task.priority, i);
        if (other?.model.sha256 === sha) {
          count++;
          tokens += other.generation.max_tokens;
        }
      }
    } else {
      const lane = this.byModel[task.priority].get(sha);
      const share = position / Math.max(1, this.queue.depthOf(task.priority) - 1);
      count = Math.round(((lane?.count ?? 1) - 1) * share);
      tokens = Math.round(((lane?.tokens ?? task.generation.max_tokens) - task.generation.max_tokens) * share);
    }
    if (task.priority === "batch") {
      const interactive = this.byModel.interactive.get(sha);
      count += interactive?.count ?? 0;
      tokens += interactive?.tokens ?? 0;
    }
    return { count, tokens };
  }

  /** True when positions moved (or some are owed) since they were last told. */
  positionsChanged(): boolean {
    return this.queue.shifts !== this.toldShifts;
  }

  /**
   * The queued tasks that should hear their position now, with their index in dispatch order; marks
   * them told. A task far back whose last notice is under a second old waits for a later pass. Far back
   * nobody is told more than once a second anyway, so the whole line is walked at most once a second;
   * the passes in between look at the front of each lane only. (Every dispatch, and every task a fair
   * insert places before others, moves the tasks behind it: a walk of a 10,000-deep line per pass was the
   * cost of a deep queue shared by several keys.)
   */
  positionsToTell(now: number): { task: T; index: number; position: number }[] {
    this.toldShifts = this.queue.shifts;
    const out: { task: T; index: number; position: number }[] = [];
    const consider = (task: T, index: number, position: number): void => {
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
    };
    const interactive = this.queue.depthOf("interactive");
    const batch = this.queue.depthOf("batch");
    if (now - this.walkedAt >= NOTIFY_INTERVAL_MS || Math.max(interactive, batch) <= NOTIFY_EVERY_CHANGE_BELOW) {
      this.walkedAt = now;
      // Dispatch order is interactive then batch: the position within its class follows from the index.
      this.queue.items().forEach((task, index) => consider(task, index, index < interactive ? index : index - interactive));
      return out;
    }
    for (let i = 0; i < Math.min(interactive, NOTIFY_EVERY_CHANGE_BELOW); i++) consider(this.queue.at("interactive", i) as T, i, i);
    for (let i = 0; i < Math.min(batch, NOTIFY_EVERY_CHANGE_BELOW); i++) consider(this.queue.at("batch", i) as T, interactive + i, i);
    this.toldShifts = -1; // the rest of the line is looked at by the next whole walk
    return out;
  }

  /** The first `count` queued tasks in dispatch order. */
  itemsUpTo(count: number): T[] {
    const interactive = this.queue.depthOf("interactive");
    const out: T[] = [];
    for (let i = 0; i < Math.min(count, interactive); i++) out.push(this.queue.at("interactive", i) as T);
    for (let i = 0; i < count - interactive && i < this.queue.depthOf("batch"); i++) out.push(this.queue.at("batch", i) as T);
    return out;
  }

  private forget(task: T): void {
    this.count(task, -1);
    this.toldPosition.delete(task.task_id);
    this.toldAt.delete(task.task_id);
  }

  private count(task: T, delta: 1 | -1): void {
    const sha = task.model.sha256;
    const byModel = this.byModel[task.priority];
    const totals = byModel.get(sha) ?? { count: 0, tokens: 0 };
    totals.count += delta;
    totals.tokens += delta * task.generation.max_tokens;
    if (totals.count <= 0) byModel.delete(sha);
    else byModel.set(sha, totals);
  }
}
