// Real llama.cpp (generated tiny model, attention heads of 16) in the engine class the engine child
// runs: the pool's context gets the flash-attention option flash-attention.ts chooses for this machine
// (off on an AVX-512 x64 CPU, llama.cpp's "auto" elsewhere), the operator's override wins, the thread
// calibration's contexts are timed with the same option, and `loaded` reports it.
import { LlamaModel } from "node-llama-cpp";
import { afterEach, describe, expect, it, vi } from "vitest";
import { testModelPath } from "../../test-support/models.js";
import type { EngineLoadedMessage, EngineWireMessage } from "./engine-ipc.js";
import { chooseFlashAttention, cpuFlags, type FlashAttentionOverride } from "./flash-attention.js";
import { LlamaEngine } from "./llama-engine.js";

const SLOTS = 3;

afterEach(() => {
  vi.restoreAllMocks();
});

/** Loads the tiny model with `threads`; returns the options of every context created and the `loaded` message. */
async function load(override: FlashAttentionOverride | undefined, threads = 1): Promise<{ contexts: unknown[]; loaded: EngineLoadedMessage | undefined }> {
  const spy = vi.spyOn(LlamaModel.prototype, "createContext");
  const received: EngineWireMessage[] = [];
  const engine = new LlamaEngine((message) => void received.push(message), 4, override);
  try {
    await engine.load({ type: "load", model_path: testModelPath("tiny"), slots: SLOTS, threads, device: "cpu", context_size: 512 });
    const loaded = received.find((m): m is EngineLoadedMessage => m.type === "loaded");
    return { contexts: spy.mock.calls.map(([options]) => options), loaded };
  } finally {
    spy.mockRestore();
    await engine.dispose();
  }
}

const poolContext = (contexts: unknown[]): unknown => contexts.find((o) => typeof o === "object" && o !== null && "sequences" in o && o.sequences === SLOTS);

describe("LlamaEngine flash attention", () => {
  it("passes this machine's choice for the model's head size to the pool's context and reports it", async () => {
    const expected = chooseFlashAttention({ cpu: true, arch: process.arch, cpuFlags: cpuFlags(), heads: { key: 16, value: 16 }, override: undefined }).option;
    const { contexts, loaded } = await load(undefined);
    expect(poolContext(contexts)).toEqual(expect.objectContaining({ flashAttention: expected }));
    expect(loaded?.flash_attention).toBe(expected === "auto" ? "auto" : expected ? "on" : "off");
  }, 60_000);

  it("an override wins: on, off and llama.cpp's own auto reach the context", async () => {
    for (const [override, option] of [["on", true], ["off", false], ["auto", "auto"]] as const) {
      const { contexts, loaded } = await load(override);
      expect(poolContext(contexts)).toEqual(expect.objectContaining({ flashAttention: option }));
      expect(loaded?.flash_attention).toBe(override);
    }
  }, 60_000);

  it("the thread calibration times its contexts with the pool's option", async () => {
    const { contexts } = await load("off", 2);
    // calibration contexts (one sequence each) came first, then the pool's
    const calibration = contexts.filter((o) => typeof o === "object" && o !== null && "sequences" in o && o.sequences === 1);
    expect(calibration.length).toBeGreaterThanOrEqual(2);
    for (const options of calibration) expect(options).toEqual(expect.objectContaining({ flashAttention: false }));
    expect(poolContext(contexts)).toEqual(expect.objectContaining({ flashAttention: false }));
  }, 60_000);
});
