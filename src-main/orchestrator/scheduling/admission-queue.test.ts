import { describe, expect, it } from "vitest";
import { AdmissionQueue, type Priority } from "./admission-queue.js";

const task = (task_id: string, priority: Priority) => ({ task_id, priority });

describe("AdmissionQueue", () => {
  it("dispatch order is interactive first, FIFO within a class", () => {
    const q = new AdmissionQueue(10, "reject");
    q.enqueue(task("b1", "batch"));
    q.enqueue(task("i1", "interactive"));
    q.enqueue(task("b2", "batch"));
    q.enqueue(task("i2", "interactive"));
    expect(q.items().map((t) => t.task_id)).toEqual(["i1", "i2", "b1", "b2"]);
    expect(q.positionOf("b2")).toBe(1);
    expect(q.overallPositionOf("b2")).toBe(3);
  });

  it("reject leaves the queue unchanged when full", () => {
    const q = new AdmissionQueue(2, "reject");
    q.enqueue(task("a", "batch"));
    q.enqueue(task("b", "interactive"));
    expect(q.enqueue(task("c", "interactive"))).toEqual({ accepted: false });
    expect(q.items().map((t) => t.task_id)).toEqual(["b", "a"]);
  });

  it("drop-lru drops the oldest batch task and reports it (spec property test)", () => {
    const q = new AdmissionQueue(5, "drop-lru");
    for (const t of [task("b1", "batch"), task("b2", "batch"), task("i1", "interactive"), task("i2", "interactive"), task("i3", "interactive")]) q.enqueue(t);
    const result = q.enqueue(task("e", "batch"));
    expect(result).toEqual({ accepted: true, position: 1, dropped: task("b1", "batch") });
    expect(q.items().map((t) => t.task_id)).toEqual(["i1", "i2", "i3", "b2", "e"]);
  });

  it("drop-lru drops the oldest interactive task when there is no batch task", () => {
    const q = new AdmissionQueue(2, "drop-lru");
    q.enqueue(task("i1", "interactive"));
    q.enqueue(task("i2", "interactive"));
    const result = q.enqueue(task("i3", "interactive"));
    expect(result.accepted && result.dropped?.task_id).toBe("i1");
    expect(q.depth).toBe(2);
  });

  it("remove takes a queued task out so it is never dispatched", () => {
    const q = new AdmissionQueue(5, "reject");
    q.enqueue(task("a", "batch"));
    q.enqueue(task("b", "batch"));
    expect(q.remove("a")?.task_id).toBe("a");
    expect(q.remove("a")).toBeNull();
    expect(q.items().map((t) => t.task_id)).toEqual(["b"]);
  });
  it("keeps every position right through a storm of removals from the middle, heads and requeues", () => {
    // A cancel storm removes from the middle without rebuilding the position index each time (it is
    // rebuilt once, on the next read): positions must still come out exact, whatever the order of operations.
    const q = new AdmissionQueue(1000, "reject");
    const ids = Array.from({ length: 200 }, (_, i) => `t${i}`);
    for (const id of ids) q.enqueue(task(id, "batch"));
    const expected = [...ids];
    const take = (id: string) => {
      expect(q.remove(id)?.task_id).toBe(id);
      expected.splice(expected.indexOf(id), 1);
    };
    for (let i = 1; i < 200; i += 3) take(`t${i}`); // middle removals back to back (the index stays stale)
    take(expected[0] as string); // the head, while stale
    expect(q.positionOf(expected[5] as string)).toBe(5); // a read rebuilds
    for (let i = 2; i < 200; i += 7) if (expected.includes(`t${i}`)) take(`t${i}`);
    q.requeueFront(task("again", "batch"));
    expected.unshift("again");
    take(expected[expected.length - 1] as string);
    expect(q.items().map((t) => t.task_id)).toEqual(expected);
    expected.forEach((id, i) => expect(q.positionOf(id)).toBe(i));
    expect(q.remove("t1")).toBeNull();
  });
});
