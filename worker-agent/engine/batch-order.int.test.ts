// The batch order on real node-llama-cpp: the context's queue (an internal field) has the shape
// batch-order.ts reads, one entry per batch item, so every step of four streams is built in
// sequence-id order. If a node-llama-cpp update changes that field, this fails instead of the
// engine silently falling back to the queue order.
import { getLlama, LlamaCompletion, LlamaLogLevel, type CustomBatchingPrioritizationStrategy, type Llama, type LlamaContext, type LlamaModel } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testModelPath } from "../../test-support/models.js";
import { BatchStepBarrier } from "./batch-step-barrier.js";
import { queuedSequenceIds, sequenceOrderedBatches } from "./batch-order.js";

let llama: Llama;
let model: LlamaModel;

beforeAll(async () => {
  llama = await getLlama({ gpu: false, build: "never", maxThreads: 1, logLevel: LlamaLogLevel.error });
  model = await llama.loadModel({ modelPath: testModelPath("tiny"), gpuLayers: 0 });
}, 60_000);

afterAll(async () => {
  await llama?.dispose();
});

describe("sequenceOrderedBatches on a real context", () => {
  it("sees the sequence id of every queued decode and builds each step in sequence-id order", async () => {
    const created: { context?: LlamaContext } = {};
    const steps: { known: boolean; ids: number[] }[] = [];
    const ordered = sequenceOrderedBatches(() => (created.context === undefined ? undefined : queuedSequenceIds(created.context)));
    const recording: CustomBatchingPrioritizationStrategy = (options) => {
      const ids = created.context === undefined ? undefined : queuedSequenceIds(created.context);
      const result = ordered(options);
      const byItem = new Map(options.items.map((item, index) => [item, ids?.[index] ?? -1]));
      steps.push({ known: ids?.length === options.items.length, ids: result.map((r) => byItem.get(r.item) ?? -1) });
      return result;
    };
    const context = await model.createContext({ contextSize: 512, sequences: 4, threads: 1, batching: { itemPrioritizationStrategy: recording } });
    created.context = context;
    new BatchStepBarrier(() => undefined).attach(context);
    try {
      // Started in reverse sequence order, so the queue order is not already the sorted one.
      const sequences = [0, 1, 2, 3].map(() => context.getSequence()).reverse();
      await Promise.all(
        sequences.map(async (sequence, i) => {
          const completion = new LlamaCompletion({ contextSequence: sequence });
          await completion.generateCompletion(`Stream ${i}: the cat sat on the mat.`, { maxTokens: 16, temperature: 0, repeatPenalty: false });
          completion.dispose({ disposeSequence: false });
        }),
      );
    } finally {
      await context.dispose();
    }
    expect(steps.length).toBeGreaterThan(3);
    expect(steps.every((step) => step.known)).toBe(true);
    for (const step of steps) expect(step.ids).toEqual([...step.ids].sort((a, b) => a - b));
    expect(steps.some((step) => step.ids.length === 4)).toBe(true);
  }, 60_000);
});
