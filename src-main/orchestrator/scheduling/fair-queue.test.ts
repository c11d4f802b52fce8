import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AdmissionQueue, type Priority } from "./admission-queue.js";
import { queuedPerKeyLimit } from "./per-key-limit.js";

interface Item {
  task_id: string;
  priority: Priority;
  owner: string | null;
}
const item = (task_id: string, owner: string | null, priority: Priority = "batch"): Item => ({ task_id, priority, owner });
const ids = (q: AdmissionQueue<Item>) => q.items().map((t) => t.task_id);

/** Every position the queue reports matches the task's index in dispatch order. */
function expectPositionsConsistent(q: AdmissionQueue<Item>): void {
  const interactive = q.depthOf("interactive");
  q.items().forEach((t, index) => {
    expect(q.overallPositionOf(t.task_id)).toBe(index);
    expect(q.positionOf(t.task_id)).toBe(index < interactive ? index : index - interactive);
  });
}

describe("AdmissionQueue: fair order across identities", () => {
  it("a key that queued 200 tasks delays another key's single task by one task, not 200", () => {
    const q = new AdmissionQueue<Item>(1000, "reject");
    for (let i = 0; i < 200; i++) q.enqueue(item(`a${i}`, "key:a"));
    const b = q.enqueue(item("b0", "key:b"));
    expect(b).toMatchObject({ accepted: true, position: 1 });
    expect(ids(q).slice(0, 4)).toEqual(["a0", "b0", "a1", "a2"]);
    expect(q.identities).toBe(2);
    expectPositionsConsistent(q);
  });

  it("alternates keys round by round, FIFO within each key; priorities stay apart", () => {
    const q = new AdmissionQueue<Item>(1000, "reject");
    for (let i = 0; i < 3; i++) q.enqueue(item(`a${i}`, "key:a"));
    for (let i = 0; i < 3; i++) q.enqueue(item(`b${i}`, "key:b"));
    q.enqueue(item("c0", null));
    q.enqueue(item("i0", "key:b", "interactive"));
    expect(ids(q)).toEqual(["i0", "a0", "b0", "c0", "a1", "b1", "a2", "b2"]);
    expectPositionsConsistent(q);
  });

  it("a newcomer joins the round at the head, after dispatches moved it", () => {
    const q = new AdmissionQueue<Item>(1000, "reject");
    for (let i = 0; i < 10; i++) q.enqueue(item(`a${i}`, "key:a"));
    for (let i = 0; i < 5; i++) q.remove(`a${i}`); // dispatched from the head
    expect(q.enqueue(item("b0", "key:b"))).toMatchObject({ position: 1 });
    expect(ids(q).slice(0, 3)).toEqual(["a5", "b0", "a6"]);
  });

  it("two keys that keep one task queued each cannot pass a third key's queued task for ever", () => {
    // Without remembering an emptied key's last round, p and q alternating at the head's round starved x.
    const q = new AdmissionQueue<Item>(1000, "reject");
    q.enqueue(item("o1", "key:o"));
    q.enqueue(item("p1", "key:p"));
    q.enqueue(item("q1", "key:q"));
    q.enqueue(item("x", "key:o")); // round 1, behind o1, p1 and q1
    let dispatches = 0;
    for (let n = 2; n < 50 && q.positionOf("x") > 0; n++) {
      const head = q.items()[0] as Item;
      q.remove(head.task_id);
      dispatches++;
      // p and q each send their next request as soon as their last one started.
      if (head.owner !== "key:o") q.enqueue(item(`${head.owner}-${n}`, head.owner));
    }
    expect(q.positionOf("x")).toBe(0);
    expect(dispatches).toBe(3);
  });

  it("requeueFront puts a re-placed task before everyone, whoever owns it", () => {
    const q = new AdmissionQueue<Item>(1000, "reject");
    for (let i = 0; i < 3; i++) q.enqueue(item(`a${i}`, "key:a"));
    q.enqueue(item("b0", "key:b"));
    q.remove("b0");
    q.requeueFront(item("b0", "key:b"));
    expect(ids(q)).toEqual(["b0", "a0", "a1", "a2"]);
    expectPositionsConsistent(q);
  });

  it("a key at its per-key limit is refused while another key is still admitted, under either policy", () => {
    for (const policy of ["reject", "drop-lru"] as const) {
      const q = new AdmissionQueue<Item>(10, policy);
      for (let i = 0; i < 3; i++) expect(q.enqueue(item(`a${i}`, "key:a"), 3).accepted).toBe(true);
      expect(q.enqueue(item("a3", "key:a"), 3)).toEqual({ accepted: false, per_key_limit: 3 });
      expect(q.enqueue(item("b0", "key:b"), 3)).toMatchObject({ accepted: true, dropped: null });
      expect(q.queuedBy("key:a")).toBe(3);
      expect(q.depth).toBe(4);
    }
  });

  it("drop-lru takes the oldest task of the key holding the most, not another key's", () => {
    const q = new AdmissionQueue<Item>(4, "drop-lru");
    q.enqueue(item("b0", "key:b"));
    for (let i = 0; i < 3; i++) q.enqueue(item(`a${i}`, "key:a"));
    const result = q.enqueue(item("c0", "key:c"));
    expect(result).toMatchObject({ accepted: true, dropped: { task_id: "a0" } });
    expect(q.countsByOwner()).toEqual(new Map([["key:b", 1], ["key:a", 2], ["key:c", 1]]));
  });

  it("per-key limit: API keys get admission_max_queued_per_key (default half the capacity); the operator's token is not limited", () => {
    expect(queuedPerKeyLimit({ admission_capacity: 100, admission_max_queued_per_key: undefined }, "key:k1")).toBe(50);
    expect(queuedPerKeyLimit({ admission_capacity: 7, admission_max_queued_per_key: undefined }, "key:k1")).toBe(4);
    expect(queuedPerKeyLimit({ admission_capacity: 100, admission_max_queued_per_key: 10 }, "key:k1")).toBe(10);
    expect(queuedPerKeyLimit({ admission_capacity: 100, admission_max_queued_per_key: 10 }, "builtin")).toBe(Infinity);
    expect(queuedPerKeyLimit({ admission_capacity: 100, admission_max_queued_per_key: 10 }, null)).toBe(Infinity);
  });
});

type Op = { kind: "add"; priority: Priority } | { kind: "take"; priority: Priority } | { kind: "cancel"; pick: number } | { kind: "requeue" };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom<Priority>("interactive", "batch").map((priority) => ({ kind: "add" as const, priority })) },
  { weight: 2, arbitrary: fc.constantFrom<Priority>("interactive", "batch").map((priority) => ({ kind: "take" as const, priority })) },
  { weight: 1, arbitrary: fc.nat(1000).map((pick) => ({ kind: "cancel" as const, pick })) },
  { weight: 1, arbitrary: fc.constant({ kind: "requeue" as const }) },
);

describe("AdmissionQueue: properties", () => {
  it("with a single identity the order is exactly per-priority FIFO (the order before fairness)", () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 300 }), fc.constantFrom<string | null>(null, "builtin", "key:solo"), (ops, owner) => {
        const q = new AdmissionQueue<Item>(100_000, "reject");
        const model: Record<Priority, Item[]> = { interactive: [], batch: [] };
        let taken: Item | undefined;
        let n = 0;
        for (const op of ops) {
          if (op.kind === "add") {
            const t = item(`t${n++}`, owner, op.priority);
            const result = q.enqueue(t);
            model[op.priority].push(t);
            expect(result).toEqual({ accepted: true, position: model[op.priority].length - 1, dropped: null });
          } else if (op.kind === "take") {
            const head = model[op.priority].shift();
            if (head !== undefined) {
              expect(q.remove(head.task_id)).toBe(head);
              taken = head;
            }
          } else if (op.kind === "cancel") {
            const all = [...model.interactive, ...model.batch];
            const victim = all[op.pick % Math.max(1, all.length)];
            if (victim !== undefined) {
              q.remove(victim.task_id);
              model[victim.priority].splice(model[victim.priority].indexOf(victim), 1);
            }
          } else if (taken !== undefined) {
            q.requeueFront(taken);
            model[taken.priority].unshift(taken);
            taken = undefined;
          }
        }
        expect(ids(q)).toEqual([...model.interactive, ...model.batch].map((t) => t.task_id));
        expectPositionsConsistent(q);
      }),
      { numRuns: 200 },
    );
  });

  it("no identity starves: a task waits at most (own tasks ahead + 2) dispatches per other identity, whatever the arrivals", () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 5 }), fc.array(fc.oneof(fc.nat(4).map((o) => ({ add: o })), fc.boolean().map((resubmit) => ({ take: true as const, resubmit }))), { maxLength: 400 }), (keys, ops) => {
        const q = new AdmissionQueue<Item>(100_000, "reject");
        const waiting = new Map<string, { ownAhead: number; dispatchesSeen: number }>();
        let n = 0;
        const add = (owner: string) => {
          const t = item(`t${n++}`, owner);
          q.enqueue(t);
          waiting.set(t.task_id, { ownAhead: q.queuedBy(owner) - 1, dispatchesSeen: 0 });
        };
        const dispatch = (): Item | undefined => {
          const head = q.items()[0];
          if (head === undefined) return undefined;
          q.remove(head.task_id);
          const info = waiting.get(head.task_id);
          waiting.delete(head.task_id);
          // Bound: its own tasks ahead of it, plus per other key at most one task per round between the head and its round.
          if (info !== undefined) expect(info.dispatchesSeen).toBeLessThanOrEqual(info.ownAhead + (keys - 1) * (info.ownAhead + 2));
          for (const w of waiting.values()) w.dispatchesSeen++;
          return head;
        };
        for (const op of ops) {
          if ("take" in op) {
            // `resubmit`: the key sends its next request as soon as this one started (the closed-loop client).
            const head = dispatch();
            if (op.resubmit && head?.owner != null) add(head.owner);
          } else add(`key:${op.add % keys}`);
        }
        while (q.depth > 0) dispatch();
      }),
      { numRuns: 200 },
    );
  });
});
