/** What a fair lane needs of a task: its id and who submitted it (null: the one shared identity of unowned tasks). */
export interface FairItem {
  task_id: string;
  owner?: string | null | undefined;
}

interface Entry<T> {
  readonly item: T;
  /** Round number: an identity's tasks get consecutive rounds, a newcomer joins the head's round. */
  readonly tag: number;
  /** Arrival order within a round (negative: put back at the front). */
  readonly seq: number;
}

interface OwnerState {
  count: number;
  /**
   * The highest round the identity's tasks took, kept after its last task left while that round is not
   * behind the head: a key that keeps one task queued at a time must not take the head's round again and
   * again (two such keys alternating would pass a third key's queued task for ever).
   */
  last: number;
}

/**
 * One priority lane in fair order across identities (start-time fair queuing with unit cost, i.e.
 * round robin): a task's round is one past its identity's last task (see OwnerState.last), but never
 * before the round at the head of the lane; the lane is ordered by (round, arrival). So a key with 200 queued
 * tasks holds rounds h..h+199, a key arriving with one task takes round h and goes after at most one
 * task of each other key. With a single identity every task lands at the tail: plain FIFO.
 * The lane is an array sorted by (round, arrival): an arrival at the tail (one identity) is a push,
 * any other is a binary search and a splice; a position is a binary search.
 */
export class FairLane<T extends FairItem> {
  private readonly entries: Entry<T>[] = [];
  private readonly byId = new Map<string, Entry<T>>();
  private readonly owners = new Map<string | null, OwnerState>();
  /** Identities with a task in the lane (the map also keeps recently emptied ones, see OwnerState.last). */
  private active = 0;
  /** The round of the last task taken from the head: where a newcomer starts when the lane is empty. */
  private round = 0;
  private nextSeq = 0;
  private frontSeq = 0;

  get length(): number {
    return this.entries.length;
  }

  /** Identities with a task in this lane. */
  get identities(): number {
    return this.active;
  }

  has(taskId: string): boolean {
    return this.byId.has(taskId);
  }

  at(index: number): T | undefined {
    return this.entries[index]?.item;
  }

  /** Adds a task in its fair place; returns its index (position in the lane). */
  add(item: T): number {
    const owner = item.owner ?? null;
    const state = this.owners.get(owner);
    const head = this.headRound();
    const entry: Entry<T> = { item, tag: state === undefined ? head : Math.max(state.last + 1, head), seq: this.nextSeq++ };
    return this.insert(entry, owner);
  }

  /** Puts a task back at the very front (re-placement after a failed dispatch). */
  addFront(item: T): void {
    this.insert({ item, tag: this.headRound(), seq: --this.frontSeq }, item.owner ?? null);
  }

  /** Removes a task; returns it and the index it had, or null. */
  remove(taskId: string): { item: T; index: number } | null {
    const entry = this.byId.get(taskId);
    if (entry === undefined) return null;
    const index = this.indexOf(entry);
    if (index === 0) {
      this.entries.shift();
      this.round = entry.tag;
    } else this.entries.splice(index, 1);
    this.byId.delete(taskId);
    const owner = entry.item.owner ?? null;
    const state = this.owners.get(owner);
    if (state !== undefined && --state.count === 0) {
      this.active--;
      if (state.last < this.headRound()) this.owners.delete(owner);
      else if (this.owners.size > 2 * this.active + 64) this.prune();
    }
    return { item: entry.item, index };
  }

  /** 0-based position, or -1. */
  positionOf(taskId: string): number {
    const entry = this.byId.get(taskId);
    return entry === undefined ? -1 : this.indexOf(entry);
  }

  items(): T[] {
    return this.entries.map((e) => e.item);
  }

  /** Queued tasks per identity (a scan of the identities, not of the tasks). */
  countsByOwner(): Map<string | null, number> {
    const out = new Map<string | null, number>();
    for (const [owner, s] of this.owners) if (s.count > 0) out.set(owner, s.count);
    return out;
  }

  /** The identity with the most queued tasks (ties: the one that queued first), or undefined when empty. */
  heaviestOwner(): string | null | undefined {
    let best: string | null | undefined;
    let most = 0;
    for (const [owner, s] of this.owners) {
      if (s.count > most) {
        most = s.count;
        best = owner;
      }
    }
    return best;
  }

  /** The first task of `owner` in dispatch order (its oldest, FIFO within an identity). */
  firstOf(owner: string | null): T | undefined {
    return this.entries.find((e) => (e.item.owner ?? null) === owner)?.item;
  }

  clear(): void {
    this.entries.length = 0;
    this.byId.clear();
    this.owners.clear();
    this.active = 0;
  }

  /** The round at the head of the lane (the last one taken when it is empty): no task is placed before it. */
  private headRound(): number {
    return this.entries[0]?.tag ?? this.round;
  }

  /** Forgets emptied identities whose last round is behind the head (they would start at the head anyway). */
  private prune(): void {
    const head = this.headRound();
    for (const [owner, s] of this.owners) if (s.count === 0 && s.last < head) this.owners.delete(owner);
  }

  private insert(entry: Entry<T>, owner: string | null): number {
    const last = this.entries[this.entries.length - 1];
    let index: number;
    if (last === undefined || before(last, entry)) {
      index = this.entries.length;
      this.entries.push(entry);
    } else if (before(entry, this.entries[0] as Entry<T>)) {
      index = 0;
      this.entries.unshift(entry);
    } else {
      index = this.lowerBound(entry);
      this.entries.splice(index, 0, entry);
    }
    this.byId.set(entry.item.task_id, entry);
    const state = this.owners.get(owner);
    if (state === undefined || state.count === 0) this.active++;
    if (state === undefined) this.owners.set(owner, { count: 1, last: entry.tag });
    else {
      state.count++;
      if (entry.tag > state.last) state.last = entry.tag;
    }
    return index;
  }

  private indexOf(entry: Entry<T>): number {
    return this.lowerBound(entry);
  }

  /** The first index whose entry is not before `entry` (its own index when it is queued). */
  private lowerBound(entry: Entry<T>): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(this.entries[mid] as Entry<T>, entry)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

function before<T>(a: Entry<T>, b: Entry<T>): boolean {
  return a.tag < b.tag || (a.tag === b.tag && a.seq < b.seq);
}
