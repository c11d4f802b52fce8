// The batch-step barrier on real llama.cpp: concurrent streams share every decode step (without it,
// the sequence sampled last missed each step: 3 of 4 per step), a lone stream is never held, and a
// stream that starts later joins the running batch while the others keep generating.
import { getLlama, LlamaCompletion, LlamaLogLevel, type Llama, type LlamaContext, type LlamaModel } from "node-llama-cpp";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { testModelPath } from "../../test-support/models.js";
import { waitFor } from "../../test-support/wait-for.js";
import { BatchStepBarrier } from "./batch-step-barrier.js";

let llama: Llama;
let model: LlamaModel;
let context: LlamaContext | undefined;

beforeAll(async () => {
  llama = await getLlama({ gpu: false, build: "never", maxThreads: 1, logLevel: LlamaLogLevel.error });
  model = await llama.loadModel({ modelPath: testModelPath("tiny"), gpuLayers: 0 });
}, 60_000);

afterEach(async () => {
  await context?.dispose();
  context = undefined;
});

afterAll(async () => {
  await llama?.dispose();
});

/** A 4-sequence context with the barrier; `steps` gets the number of sequences of each shared step. */
async function barrierContext(): Promise<{ context: LlamaContext; steps: number[] }> {
  const steps: number[] = [];
  context = await model.createContext({ contextSize: 512, sequences: 4, threads: 1 });
  expect(new BatchStepBarrier((sequences) => steps.push(sequences)).attach(context)).toBe(true);
  return { context, steps };
}

/** Generates up to `maxTokens` on a new sequence; resolves with the time of each token. */
async function stream(ctx: LlamaContext, prompt: string, maxTokens: number): Promise<number[]> {
  const completion = new LlamaCompletion({ contextSequence: ctx.getSequence() });
  const times: number[] = [];
  try {
    await completion.generateCompletion(prompt, { maxTokens, temperature: 0, repeatPenalty: false, onToken: () => times.push(performance.now()) });
  } finally {
    completion.dispose({ disposeSequence: true });
  }
  return times;
}

describe("BatchStepBarrier", () => {
  it("gives every generating sequence a token in every decode step", async () => {
    const { context: ctx, steps } = await barrierContext();
    const runs = await Promise.all([0, 1, 2, 3].map((i) => stream(ctx, `Stream ${i}: the cat sat on the mat.`, 40)));
    // A stream may end early on an end-of-generation token; while all four generate, each step carries all four.
    const together = Math.min(...runs.map((times) => times.length));
    expect(together).toBeGreaterThan(5);
    console.log(`tokens per stream ${runs.map((t) => t.length).join("/")}; shared steps by size: ${JSON.stringify(steps.reduce<Record<number, number>>((acc, n) => ({ ...acc, [n]: (acc[n] ?? 0) + 1 }), {}))}`);
    // The first step after the prompts, and the last ones as streams end, may be smaller.
    expect(steps.filter((n) => n === 4).length).toBeGreaterThanOrEqual(together - 2);
  }, 60_000);

  it("never holds a lone stream", async () => {
    const { context: ctx, steps } = await barrierContext();
    const times = await stream(ctx, "Alone: the cat sat on the mat.", 24);
    expect(times.length).toBeGreaterThan(0);
    expect(steps).toEqual([]);
  }, 60_000);

  it("lets a stream that starts later join while the others keep generating", async () => {
    const { context: ctx, steps } = await barrierContext();
    const first = [stream(ctx, "One: the cat sat on the mat.", 200), stream(ctx, "Two: the cat sat on the mat.", 200)];
    await waitFor("two streams sharing decode steps", () => steps.length >= 5, 30_000);
    const late = await stream(ctx, "Three: a dog ran in the park.", 4);
    const [one, two] = await Promise.all(first);
    const lateFirst = late[0] as number;
    expect(late.length).toBeGreaterThan(0);
    // The early streams were still generating after the late one's first token: it did not wait for them.
    expect(Math.max(...(one as number[]), ...(two as number[]))).toBeGreaterThan(lateFirst);
    expect(steps.some((n) => n === 3)).toBe(true);
  }, 60_000);
});
