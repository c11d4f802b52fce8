import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { getLlama, LlamaLogLevel, type Llama, type Token } from "node-llama-cpp";
import { describe, expect, it } from "vitest";
import { testModelPath } from "../../test-support/models.js";
import { cpuOnlyProbeResult } from "../system/cpu-only-host.js";
import { directPrebuiltCpuBins, loadPrebuiltCpuLlama } from "./prebuilt-cpu-llama.js";

// The engine child loads node-llama-cpp's prebuilt CPU binary itself on a CPU pool: getLlama forks a
// Node process on Linux to test the binary first (every engine start, ~0.65 s). Node reports every child
// process it starts on the "child_process" diagnostics channel.
async function processesStartedBy(load: () => Promise<Llama>): Promise<{ llama: Llama; started: number }> {
  let started = 0;
  const count = (): void => {
    started++;
  };
  subscribe("child_process", count);
  try {
    return { llama: await load(), started };
  } finally {
    unsubscribe("child_process", count);
  }
}

async function greedyText(llama: Llama): Promise<string> {
  const model = await llama.loadModel({ modelPath: testModelPath("tiny"), gpuLayers: 0 });
  const context = await model.createContext({ contextSize: 256, threads: 1 });
  const tokens: Token[] = [];
  for await (const token of context.getSequence().evaluate(model.tokenize("The cat sat on"), { temperature: 0 })) {
    tokens.push(token);
    if (tokens.length === 12) break;
  }
  const text = model.detokenize(tokens);
  await context.dispose();
  await model.dispose();
  return text;
}

describe.skipIf(process.platform !== "linux" || cpuOnlyProbeResult() === null)("the prebuilt CPU binary loaded directly (a Linux host without GPUs)", () => {
  it("CPU pools and auto pools on this host take it, GPU pools do not", () => {
    expect(directPrebuiltCpuBins("cpu")).toMatch(/@node-llama-cpp\/linux-(x64|arm64)\/bins\/linux-(x64|arm64)$/);
    expect(directPrebuiltCpuBins("auto")).toBe(directPrebuiltCpuBins("cpu"));
    expect(directPrebuiltCpuBins(0)).toBeUndefined();
  });

  it("starts no process, and is the binary getLlama loads (same build, release and output), which starts one", async () => {
    const bins = directPrebuiltCpuBins("cpu") as string;
    const direct = await processesStartedBy(() => loadPrebuiltCpuLlama(bins, 1, LlamaLogLevel.error));
    const viaGetLlama = await processesStartedBy(() => getLlama({ gpu: false, build: "never", maxThreads: 1, logLevel: LlamaLogLevel.error }));
    try {
      expect(direct.started).toBe(0);
      // The control: the check sees getLlama's binary test.
      expect(viaGetLlama.started).toBeGreaterThanOrEqual(1);
      expect(direct.llama.gpu).toBe(false);
      expect(direct.llama.buildType).toBe("prebuilt");
      expect(direct.llama.llamaCppRelease).toEqual(viaGetLlama.llama.llamaCppRelease);
      expect(await greedyText(direct.llama)).toBe(await greedyText(viaGetLlama.llama));
    } finally {
      await direct.llama.dispose();
      await viaGetLlama.llama.dispose();
    }
  });
});
