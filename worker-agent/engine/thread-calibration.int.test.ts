// The thread choice of the node-llama-cpp engine on a real model: one thread needs no measurement;
// more are used only when the timed decode shows them at least 10 % faster than one.
import { getLlama, LlamaLogLevel, type Llama, type LlamaModel } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testModelPath } from "../../test-support/models.js";
import { chooseThreads } from "./thread-calibration.js";

let llama: Llama;
let model: LlamaModel;

beforeAll(async () => {
  llama = await getLlama({ gpu: false, build: "never", maxThreads: 2, logLevel: LlamaLogLevel.error });
  model = await llama.loadModel({ modelPath: testModelPath("tiny"), gpuLayers: 0 });
}, 60_000);

afterAll(async () => {
  await llama?.dispose();
});

describe("chooseThreads", () => {
  it("takes one thread as asked without measuring", async () => {
    expect(await chooseThreads(model, 1)).toEqual({ threads: 1, measured: {} });
  });

  it("measures one and the asked count, and picks the larger only when it is clearly faster", async () => {
    const choice = await chooseThreads(model, 2);
    const one = choice.measured[1];
    const two = choice.measured[2];
    expect(one).toBeGreaterThan(0);
    expect(two).toBeGreaterThan(0);
    expect(choice.threads).toBe(two !== undefined && one !== undefined && two * 1.1 <= one ? 2 : 1);
  }, 30_000);
});
