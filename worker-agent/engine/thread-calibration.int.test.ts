// The thread choice of the node-llama-cpp engine on a real model: one thread needs no measurement;
// more are used only when the timed decode shows them at least 10 % faster than one.
import { getLlama, LlamaLogLevel, type Llama, type LlamaModel } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testModelPath } from "../../test-support/models.js";
import { readdirSync, readFileSync } from "node:fs";
import { allowedCpus, onOneCpu, parseCpuList } from "./engine-cpu-pinning.js";
import { TasksetHelper } from "./taskset-helper.js";
import { chooseThreads, pickThreads, threadsToTry } from "./thread-calibration.js";

/** The CPU lists of every thread of this process, joined: one entry when they all agree. */
const ownAffinity = (): string[] => [...new Set(readdirSync("/proc/self/task").map((t) => parseCpuList(/^Cpus_allowed_list:\s*(.+)$/m.exec(readFileSync(`/proc/self/task/${t}/status`, "utf8"))?.[1] ?? "").join(",")))];

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
    const prompt = choice.prompt === undefined ? undefined : { one: choice.prompt[1] as number, many: choice.prompt[2] as number };
    expect(choice.threads).toBe(pickThreads(2, { one: one as number, many: two as number }, prompt));
  }, 30_000);
});

describe.skipIf(process.platform !== "linux" || allowedCpus().length < 2)("chooseThreads, one-thread candidate pinned (as the agent serves it)", () => {
  it("times one thread with every thread of the process on one CPU, the asked count on all, and restores them", async () => {
    const cpus = allowedCpus();
    const taskset = new TasksetHelper();
    const seen: string[][] = [];
    const pin = onOneCpu(taskset.set, process.pid, cpus);
    try {
      const choice = await chooseThreads(model, 2, "auto", (measure) =>
        pin(async () => {
          seen.push(ownAffinity());
          return measure();
        }),
      );
      expect(choice.measured[1]).toBeGreaterThan(0);
      expect(seen.length).toBeGreaterThanOrEqual(1);
      for (const during of seen) expect(during).toEqual([String(cpus.at(-1))]);
      expect(ownAffinity()).toEqual([cpus.join(",")]);
    } finally {
      taskset.close();
    }
  }, 30_000);
});

describe("threadsToTry", () => {
  it("leaves a core for the engine's JavaScript thread and the agent when the threads asked for would take every core", () => {
    expect(threadsToTry(2, 2)).toBe(1);
    expect(threadsToTry(4, 2)).toBe(1);
    expect(threadsToTry(8, 8)).toBe(7);
    expect(threadsToTry(7, 8)).toBe(7);
    expect(threadsToTry(3, 8)).toBe(3);
    expect(threadsToTry(1, 2)).toBe(1);
    expect(threadsToTry(4, 1)).toBe(4); // one core: nothing to leave free
  });
});

describe("pickThreads", () => {
  it("takes the larger count for faster decoding, or for faster prompts when decoding is about even; never for a collapse", () => {
    expect(pickThreads(2, { one: 0.7, many: 0.6 })).toBe(2); // decode 1.17× faster
    expect(pickThreads(2, { one: 0.7, many: 0.66 })).toBe(1); // decode within noise, no prompt measured
    expect(pickThreads(2, { one: 0.7, many: 0.66 }, { one: 40, many: 24 })).toBe(2); // prompts 1.67× faster (the native build)
    expect(pickThreads(2, { one: 0.7, many: 0.74 }, { one: 40, many: 24 })).toBe(2); // decode 6 % slower: tolerated
    expect(pickThreads(2, { one: 0.7, many: 0.8 }, { one: 40, many: 24 })).toBe(1); // decode 14 % slower: not
    expect(pickThreads(2, { one: 0.7, many: 0.66 }, { one: 40, many: 35 })).toBe(1); // prompts only 14 % faster
    expect(pickThreads(2, { one: 0.7, many: Number.POSITIVE_INFINITY }, { one: 40, many: 10 })).toBe(1); // the prebuilt build's collapse
  });
});
