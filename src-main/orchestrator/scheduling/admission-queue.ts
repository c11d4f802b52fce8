import type { AdmissionPolicy } from "../../../src-shared/config/orchestrator-config.js";

export type Priority = "interactive" | "batch";

export interface Queueable {
  task_id: string;
  priority: Priority;
}

export type EnqueueResult<T> =
  | { accepted: true; position: number; dropped: T | null }
  | { accepted: false };

/**
 * Bounded FIFO queues per priority (interactive before batch); capacity counts both together
 * (spec §4.1). Full under `reject`: refuse, state unchanged. Full under `drop-lru`: drop the oldest
 * batch task (else the oldest interactive one) and return it so its client can be told.
 */
export class AdmissionQueue<T extends Queueable> {
  private readonly interactive: T[] = [];
  private readonly batch: T[] = [];
  /** Position of every queued task in its lane; rebuilt lazily after a removal shifts positions. */
  private positions = new Map<string, number>();
  private positionsStale = false;
  /** Bumped whenever queued tasks' positions shift (removal, drop, requeue at the front). */
  private shiftCount = 0;

  constructor(
    private capacity: number,
    private policy: AdmissionPolicy,
  ) {}

  configure(capacity: number, policy: AdmissionPolicy): void {
    this.capacity = capacity;
    this.policy = policy;
  }

  get depth(): number {
    return this.interactive.length + this.batch.length;
  }

  depthOf(priority: Priority): number {
    return this.lane(priority).length;
  }

  enqueue(item: T): EnqueueResult<T> {
    let dropped: T | null = null;
    if (this.depth >= this.capacity) {
      if (this.policy === "reject") return { accepted: false };
      dropped = this.batch.shift() ?? this.interactive.shift() ?? null;
      if (dropped === null) return { accepted: false };
    }
    if (dropped !== null) this.shifted();
    const lane = this.lane(item.priority);
    lane.push(item);
    // Appending shifts nobody: the new task's position is known without a rebuild.
    if (!this.positionsStale) this.positions.set(item.task_id, lane.length - 1);
    return { accepted: true, position: lane.length - 1, dropped };
  }

  /** Appends a task whatever the capacity (tasks restored from the journal were already acknowledged). */
  append(item: T): number {
    const lane = this.lane(item.priority);
    lane.push(item);
    if (!this.positionsStale) this.positions.set(item.task_id, lane.length - 1);
    return lane.length - 1;
  }

  /** Puts a task back at the head of its lane (re-placement after a failed dispatch); ignores capacity. */
  requeueFront(item: T): void {
    this.lane(item.priority).unshift(item);
    this.shifted();
  }

  remove(taskId: string): T | null {
    const position = this.positionOf(taskId);
    if (position < 0) return null;
    for (const lane of [this.interactive, this.batch]) {
      if (lane[position]?.task_id === taskId) {
        this.shifted();
        return lane.splice(position, 1)[0] ?? null;
      }
    }
    return null;
  }

  /** 0-based position within the task's own priority class, or -1. O(1) between shifts. */
  positionOf(taskId: string): number {
    if (this.positionsStale) this.rebuildPositions();
    return this.positions.get(taskId) ?? -1;
  }

  /** A counter that changes whenever queued tasks' positions shift; appends do not change it. */
  get shifts(): number {
    return this.shiftCount;
  }

  /** Position in dispatch order (interactive first), or -1: how many tasks go before it overall. */
  overallPositionOf(taskId: string): number {
    const i = this.interactive.findIndex((t) => t.task_id === taskId);
    if (i >= 0) return i;
    const b = this.batch.findIndex((t) => t.task_id === taskId);
    return b >= 0 ? this.interactive.length + b : -1;
  }

  /** Queued tasks in dispatch order. */
  items(): T[] {
    return [...this.interactive, ...this.batch];
  }

  private shifted(): void {
    this.shiftCount++;
    this.positionsStale = true;
  }

  private rebuildPositions(): void {
    this.positions = new Map();
    for (const lane of [this.interactive, this.batch]) lane.forEach((t, i) => this.positions.set(t.task_id, i));
    this.positionsStale = false;
  }

  private lane(priority: Priority): T[] {
    return priority === "interactive" ? this.interactive : this.batch;
  }
}
