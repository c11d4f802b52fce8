import { describe, expect, it } from "vitest";
import type { SchedulableTask } from "./schedulable-task.js";
import { WaitingLine } from "./waiting-line.js";

function queued(id: string, owner: string, model = "m1", maxTokens = 10): SchedulableTask {
  return {
    task_id: id, priority: "batch", session_id: id, owner, model: { sha256: model }, generation: { max_tokens: maxTokens },
    placement: { mode: "auto", allow_fallback: true }, deadline_at_ms: Infinity, queue_position_at_admission: 0,
    tokens_out: 0, cancel_requested: false, rescues: 0, attempted_nodes: [],
  };
}

/** Admits like TaskService: the position at admission is what the 202 said. */
function admit(line: WaitingLine<SchedulableTask>, task: SchedulableTask): number {
  const result = line.enqueue(task);
  if (!result.accepted) throw new Error("refused");
  (task as { queue_position_at_admission: number }).queue_position_at_admission = result.position;
  return result.position;
}

describe("WaitingLine", () => {
  it("between whole walks (at most one a second) only the front of the line is told; the rest is owed, then told", () => {
    const line = new WaitingLine<SchedulableTask>(1000, "reject");
    for (let i = 0; i < 100; i++) admit(line, queued(`a${i}`, "key:a"));
    line.positionsToTell(0); // the first walk: everyone is where the 202 said
    // Another key's task lands at position 1: everyone behind it moved back by one.
    expect(admit(line, queued("b0", "key:b"))).toBe(1);
    expect(line.positionsChanged()).toBe(true);
    const soon = line.positionsToTell(100);
    expect(soon.map((d) => d.position)).toEqual(Array.from({ length: 14 }, (_, i) => i + 2)); // a1..a14 → 2..15
    expect(line.positionsChanged()).toBe(true); // owed
    expect(line.positionsToTell(500)).toEqual([]); // front already told, back not yet due
    const later = line.positionsToTell(1100);
    expect(later).toHaveLength(100 - 15);
    expect(later[0]).toMatchObject({ index: 16, position: 16 });
    expect(later.at(-1)).toMatchObject({ index: 100, position: 100 });
    expect(line.positionsChanged()).toBe(false);
  });

  it("a task placed before others counts the same-model work ahead of it, not the whole line's", () => {
    const line = new WaitingLine<SchedulableTask>(1000, "reject");
    for (let i = 0; i < 50; i++) admit(line, queued(`a${i}`, "key:a", i % 2 === 0 ? "m1" : "m2", 100));
    const b = queued("b0", "key:b", "m1", 7);
    const position = admit(line, b);
    expect(position).toBe(1);
    expect(line.aheadOf(b, position)).toEqual({ count: 1, tokens: 100 }); // a0 (m1); a1 is m2
    // At the tail it is the per-model total, as before.
    const tail = queued("a50", "key:a", "m1", 100);
    expect(line.aheadOf(tail, admit(line, tail))).toEqual({ count: 26, tokens: 2507 });
  });
});
