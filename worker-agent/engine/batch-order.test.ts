import type { BatchItem, LlamaContext, Token } from "node-llama-cpp";
import { describe, expect, it } from "vitest";
import { queuedSequenceIds, sequenceOrderedBatches } from "./batch-order.js";

const item = (tokens: number): BatchItem => ({ tokens: Array.from({ length: tokens }, (_, i) => i as Token), logits: [true], evaluationPriority: 5 });

describe("sequenceOrderedBatches", () => {
  it("orders a step's items by sequence id, whatever order they were queued in", () => {
    const items = [item(1), item(1), item(1), item(1)];
    const strategy = sequenceOrderedBatches(() => [3, 1, 0, 2]);
    const result = strategy({ items, size: 512 });
    expect(result.map((r) => items.indexOf(r.item))).toEqual([2, 1, 3, 0]);
    expect(result.map((r) => r.processAmount)).toEqual([1, 1, 1, 1]);
  });

  it("shares the batch: an equal share each, the rest to the longer items in order", () => {
    const items = [item(900), item(1), item(300)];
    const result = sequenceOrderedBatches(() => [2, 0, 1])({ items, size: 512 });
    // Order 0 (1 token), 1 (300), 2 (900): share 170 each, then 512 − 1 − 170 − 170 = 171 more in order.
    expect(result.map((r) => [items.indexOf(r.item), r.processAmount])).toEqual([
      [1, 1],
      [2, 300],
      [0, 211],
    ]);
    expect(result.reduce((sum, r) => sum + r.processAmount, 0)).toBe(512);
  });

  it("gives a lone item as much of the batch as it has tokens, without asking for the queue", () => {
    const items = [item(900)];
    expect(sequenceOrderedBatches(() => { throw new Error("not needed"); })({ items, size: 512 })).toEqual([{ item: items[0], processAmount: 512 }]);
  });

  it("keeps the queue's order when the sequence ids are unknown or do not match the items", () => {
    const items = [item(1), item(1)];
    expect(sequenceOrderedBatches(() => undefined)({ items, size: 8 }).map((r) => r.item)).toEqual(items);
    expect(sequenceOrderedBatches(() => [1])({ items, size: 8 }).map((r) => r.item)).toEqual(items);
  });
});

describe("queuedSequenceIds", () => {
  it("reads the sequence ids of the context's queued decodes, or undefined when their shape is not the known one", () => {
    expect(queuedSequenceIds({ _queuedDecodes: [{ sequenceId: 2 }, { sequenceId: 0 }] } as unknown as LlamaContext)).toEqual([2, 0]);
    expect(queuedSequenceIds({} as unknown as LlamaContext)).toBeUndefined();
    expect(queuedSequenceIds({ _queuedDecodes: [{ id: 2 }] } as unknown as LlamaContext)).toBeUndefined();
  });
});
