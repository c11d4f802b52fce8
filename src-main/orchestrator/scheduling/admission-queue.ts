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
  /**
   * Every queued task's sequence number in its lane: its position is that minus the lane's head
   * sequence, so taking the head (dispatch) or putting a task back in front (re-placement) keeps
   * every position valid. Only a removal from the middle (cancel, drop-lru) needs a lazy rebuild.
   */
  private readonly seqs: Record<Priority, Map<string, number>> = { interactive: new Map(), batch: new Map() };
  private readonly heads: Record<Priority, number> = { interactive: 0, batch: 0 };
  private stale: Record<Priority, boolean> = { interactive: false, batch: false };
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
      dropped = this.batch[0] ?? this.interactive[0] ?? null;
      if (dropped === null) return { accepted: false };
      this.remove(dropped.task_id);
    }
    return { accepted: true, position: this.append(item), dropped };
  }

  /** Appends a task whatever the capacity (tasks restored from the journal were already acknowledged). */
  append(item: T): number {
    const lane = this.lane(item.priority);
    lane.push(item);
    // Appending shifts nobody: the new task's position is known without a rebuild.
    this.seqs[item.priority].set(item.task_id, this.heads[item.priority] + lane.length - 1);
    return lane.length - 1;
  }

  /** Puts a task back at the head of its lane (re-placement after a failed dispatch); ignores capacity. */
  requeueFront(item: T): void {
    this.lane(item.priority).unshift(item);
    this.heads[item.priority]--;
    this.seqs[item.priority].set(item.task_id, this.heads[item.priority]);
    this.shiftCount++;
  }

  remove(taskId: string): T | null {
    for (const priority of ["interactive", "batch"] as const) {
      const seq = this.seqs[priority].get(taskId);
      if (seq === undefined) continue;
      const lane = this.lane(priority);
      // After a removal from the middle the sequence numbers are stale: find the task by a scan of the
      // lane rather than rebuilding the index, which a cancel storm did once per cancel (10,000 queued
      // tasks canceled: 4 s of rebuilds). The index is rebuilt once, when a position is next read.
      const position = this.stale[priority] ? lane.findIndex((t) => t.task_id === taskId) : seq - this.heads[priority];
      if (position < 0) continue;
      this.seqs[priority].delete(taskId);
      this.shiftCount++;
      if (position === 0) {
        this.heads[priority]++; // everyone behind moves up by one: their sequence numbers stay valid
        return lane.shift() ?? null;
      }
      this.stale[priority] = true;
      return lane.splice(position, 1)[0] ?? null;
    }
    return null;
  }

  /** 0-based position within the task's own priority class, or -1. O(1) except after a removal from the middle. */
  positionOf(taskId: string): number {
    const p = this.positionIn("interactive", taskId);
    return p >= 0 ? p : this.positionIn("batch", taskId);
  }

  /** A counter that changes whenever queued tasks' positions shift; appends do not change it. */
  get shifts(): number {
    return this.shiftCount;
  }

  /** Position in dispatch order (interactive first), or -1: how many tasks go before it overall. */
  overallPositionOf(taskId: string): number {
    const i = this.positionIn("interactive", taskId);
    if (i >= 0) return i;
    const b = this.positionIn("batch", taskId);
    return b >= 0 ? this.interactive.length + b : -1;
  }

  /** Queued tasks in dispatch order. */
  items(): T[] {
    return [...this.interactive, ...this.batch];
  }

  /** Empties the queue at once (shutdown), returning its tasks in dispatch order. */
  clear(): T[] {
    const all = this.items();
    this.interactive.length = 0;
    this.batch.length = 0;
    for (const priority of ["interactive", "batch"] as const) this.seqs[priority].clear();
    this.shiftCount++;
    return all;
  }

  private positionIn(priority: Priority, taskId: string): number {
    if (this.stale[priority]) this.rebuild(priority);
    const seq = this.seqs[priority].get(taskId);
    return seq === undefined ? -1 : seq - this.heads[priority];
  }

  private rebuild(priority: Priority): void {
    const seqs = this.seqs[priority];
    seqs.clear();
    this.heads[priority] = 0;
    this.lane(priority).forEach((t, i) => seqs.set(t.task_id, i));
    this.stale[priority] = false;
  }

  private lane(priority: Priority): T[] {
    return priority === "interactive" ? this.interactive : this.batch;
  }
}
