// Real llama.cpp (generated tiny model): recycled sequences are erased between batch steps while
// other sequences keep generating, and handed out clean.
import { LlamaCompletion, resolveChatWrapper, type LlamaContext, type LlamaModel } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getTestLlama } from "../../test-support/llama.js";
import { testModelPath } from "../../test-support/models.js";
import { DecodeGate } from "./decode-gate.js";
import { contextOverflow } from "./output-budget.js";
import { measurePrompt } from "./prompt-fit.js";
import { SequencePool } from "./sequence-pool.js";

let model: LlamaModel;
let context: LlamaContext;

beforeAll(async () => {
  const llama = await getTestLlama();
  model = await llama.loadModel({ modelPath: testModelPath("tiny") });
  context = await model.createContext({ contextSize: 4096, sequences: 3, threads: 1 });
});

afterAll(async () => {
  await context.dispose();
  await model.dispose();
});

describe("sequence pool", () => {
  it("recycles a sequence while two others generate: it comes back clean and runs again before they end", async () => {
    const errors: unknown[] = [];
    const pool = new SequencePool([context.getSequence(), context.getSequence(), context.getSequence()], new DecodeGate(), (e) => errors.push(e));
    const long = new AbortController();
    let longEnded = false;
    const generating = [0, 1].map(async (i) => {
      const sequence = await pool.take();
      if (sequence === undefined) throw new Error("no sequence");
      let started!: () => void;
      const firstToken = new Promise<void>((resolve) => (started = resolve));
      const run = new LlamaCompletion({ contextSequence: sequence })
        .generateCompletion(`long ${i}: the cat`, { maxTokens: 4000, signal: long.signal, stopOnAbortSignal: true, onTextChunk: () => started() })
        .finally(() => {
          longEnded = true;
          pool.release(sequence);
        });
      await firstToken;
      return { run };
    });
    const running = (await Promise.all(generating)).map((g) => g.run);
    expect(pool.free).toBe(1);

    for (let round = 0; round < 3; round++) {
      const taking = pool.take();
      expect(taking).toBeDefined();
      const sequence = await taking;
      if (sequence === undefined) throw new Error("no sequence");
      // Clean: no erase (and so no wait for the context lock) is needed to start.
      expect(sequence.nextTokenIndex).toBe(0);
      // All three are handed out now.
      expect(pool.take()).toBeUndefined();
      const text = await new LlamaCompletion({ contextSequence: sequence }).generateCompletion("short: the cat", { maxTokens: 8 });
      expect(text.length).toBeGreaterThan(0);
      pool.release(sequence);
    }
    // Three short tasks ran to the end on a recycled sequence while the long ones kept generating.
    expect(longEnded).toBe(false);
    long.abort();
    await Promise.all(running);
    expect(errors).toEqual([]);
  }, 60_000);
});

describe("prompt fit", () => {
  it("counts a completion prompt's tokens (with BOS) and a chat as its wrapper renders it; prompt + max_tokens must fit", () => {
    const wrapper = resolveChatWrapper(model);
    const completion = measurePrompt(model, wrapper, { prompt: "the cat sat on the mat." });
    expect(completion).toMatchObject({ ok: true });
    const tokens = completion.ok ? completion.promptTokens : 0;
    expect(tokens).toBe(model.tokenize("the cat sat on the mat.").length + 1);
    const chat = measurePrompt(model, wrapper, { messages: [{ role: "system", content: "Be terse." }, { role: "user", content: "the cat sat on the mat." }] });
    expect(chat.ok && chat.promptTokens).toBeGreaterThan(tokens);
    expect(measurePrompt(model, wrapper, { messages: [{ role: "assistant", content: "hi" }] })).toMatchObject({ ok: false, code: "INVALID_PARAMS" });
    // A last assistant turn after a user turn is a prefill to continue.
    expect(measurePrompt(model, wrapper, { messages: [{ role: "user", content: "the cat" }, { role: "assistant", content: "sat on" }] })).toMatchObject({ ok: true });
    expect(contextOverflow(96, 4000, 4096)).toBeUndefined();
    expect(contextOverflow(97, 4000, 4096)).toBe("prompt of 97 tokens plus max_tokens 4000 is 4097 tokens, more than the 4096-token context of a slot");
  });
});
