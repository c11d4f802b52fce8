import type { AdmissionPolicy } from "../../../src-shared/config/orchestrator-config.js";
import { FairLane } from "./fair-lane.js";

export type Priority = "interactive" | "batch";

export interface Queueable {
  task_id: string;
  priority: Priority;
  /** Who submitted it (the admitting credential): the unit of fairness. Absent or null: one shared identity. */
  owner?: string | null | undefined;
}

export type EnqueueResult<T> =
  | { accepted: true; position: number; dropped: T | null }
  /** `per_key_limit`: refused because its identity already has that many queued (else: the queue is full). */
  | { accepted: false; per_key_limit?: number };

const PRIORITIES = ["interactive", "batch"] as const;

/**
 * Bounded queues per priority (interactive before batch); capacity counts both together (spec §4.1).
 * Within a priority the order is fair across identities (round robin, FIFO within one: fair-lane.ts);
 * with a single identity it is plain FIFO. Full under `reject`: refuse, state unchanged. Full under
 * `drop-lru`: drop the oldest batch task (else interactive) of the identity holding the most, and return
 * it so its client can be told. An identity at its per-key limit is refused whatever the policy.
 */
export class AdmissionQueue<T extends Queueable> {
  private readonly lanes: Record<Priority, FairLane<T>> = { interactive: new FairLane<T>(), batch: new FairLane<T>() };
  /** Queued tasks per identity, both lanes (the per-key limit and the identities gauge). */
  private readonly perOwner = new Map<string | null, number>();
  /** Bumped whenever queued tasks' positions shift (removal, drop, requeue at the front, a fair insert before others). */
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
    return this.lanes.interactive.length + this.lanes.batch.length;
  }

  depthOf(priority: Priority): number {
    return this.lanes[priority].length;
  }

  /** Identities with at least one queued task. */
  get identities(): number {
    return this.perOwner.size;
  }

  /** Queued tasks of one identity (both priorities). */
  queuedBy(owner: string | null): number {
    return this.perOwner.get(owner) ?? 0;
  }

  /** Queued tasks per identity, both priorities (O(identities)). */
  countsByOwner(): Map<string | null, number> {
    return new Map(this.perOwner);
  }

  /** `perKeyLimit`: the most tasks the item's identity may have queued (checked before capacity). */
  enqueue(item: T, perKeyLimit = Infinity): EnqueueResult<T> {
    if (this.queuedBy(item.owner ?? null) >= perKeyLimit) return { accepted: false, per_key_limit: perKeyLimit };
    let dropped: T | null = null;
    if (this.depth >= this.capacity) {
      if (this.policy === "reject") return { accepted: false };
      dropped = this.victim();
      if (dropped === null) return { accepted: false };
      this.remove(dropped.task_id);
    }
    return { accepted: true, position: this.append(item), dropped };
  }

  /** Adds a task in its fair place whatever the capacity (tasks restored from the journal were already acknowledged). */
  append(item: T): number {
    const lane = this.lanes[item.priority];
    const position = lane.add(item);
    // At the tail (always so with one identity) nobody moves; a fair insert moves everyone behind it.
    if (position !== lane.length - 1) this.shiftCount++;
    this.countOwner(item, +1);
    return position;
  }

  /** Puts a task back at the head of its lane (re-placement after a failed dispatch); ignores capacity. */
  requeueFront(item: T): void {
    this.lanes[item.priority].addFront(item);
    this.countOwner(item, +1);
    this.shiftCount++;
  }

  remove(taskId: string): T | null {
    for (const priority of PRIORITIES) {
      const removed = this.lanes[priority].remove(taskId);
      if (removed === null) continue;
      this.countOwner(removed.item, -1);
      // Taking the head moves everyone up by one: that is a shift too (positions are told by the scheduler).
      this.shiftCount++;
      return removed.item;
    }
    return null;
  }

  has(taskId: string): boolean {
    return this.lanes.interactive.has(taskId) || this.lanes.batch.has(taskId);
  }

  /** 0-based position within the task's own priority class, or -1 (a binary search). */
  positionOf(taskId: string): number {
    const p = this.lanes.interactive.positionOf(taskId);
    return p >= 0 ? p : this.lanes.batch.positionOf(taskId);
  }

  /** The task at `index` of a lane's dispatch order. */
  at(priority: Priority, index: number): T | undefined {
    return this.lanes[priority].at(index);
  }

  /** A counter that changes whenever queued tasks' positions shift; appends at the tail do not change it. */
  get shifts(): number {
    return this.shiftCount;
  }

  /** Position in dispatch order (interactive first), or -1: how many tasks go before it overall. */
  overallPositionOf(taskId: string): number {
    const i = this.lanes.interactive.positionOf(taskId);
    if (i >= 0) return i;
    const b = this.lanes.batch.positionOf(taskId);
    return b >= 0 ? this.lanes.interactive.length + b : -1;
  }

  /** Queued tasks in dispatch order. */
  items(): T[] {
    return [...this.lanes.interactive.items(), ...this.lanes.batch.items()];
  }

  /** Empties the queue at once (shutdown), returning its tasks in dispatch order. */
  clear(): T[] {
    const all = this.items();
    for (const priority of PRIORITIES) this.lanes[priority].clear();
    this.perOwner.clear();
    this.shiftCount++;
    return all;
  }

  /**
   * drop-lru's victim: the oldest task of the identity with the most queued, batch before interactive, so a
   * flooding key loses its own work, not another's. With one identity: the oldest batch task, as before.
   */
  private victim(): T | null {
    for (const priority of ["batch", "interactive"] as const) {
      const lane = this.lanes[priority];
      const owner = lane.heaviestOwner();
      if (owner !== undefined) return lane.firstOf(owner) ?? null;
    }
    return null;
  }

  private countOwner(item: T, delta: 1 | -1): void {
    const owner = item.owner ?? null;
    const n = (this.perOwner.get(owner) ?? 0) + delta;
    if (n <= 0) this.perOwner.delete(owner);
    else this.perOwner.set(owner, n);
  }
}
