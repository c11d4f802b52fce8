// Real llama.cpp (generated tiny model) in the engine class the engine child runs: an abort that
// arrives right behind its infer is never lost. Node's IPC channel emits every message of one read as
// its own process.nextTick, and nextTicks run before promise continuations, so when the agent's
// `infer` and `abort` land in one read (a loaded machine, a cancel right after `started`), the abort
// handler runs before infer() has passed its first await. The engine must know the task by then;
// otherwise it generates to max_tokens and the agent's slot stays busy all that time.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testModelPath } from "../../test-support/models.js";
import { waitFor } from "../../test-support/wait-for.js";
import type { EngineInferMessage, EngineTokenMessage, EngineToParentMessage, EngineWireMessage } from "./engine-ipc.js";
import { LlamaEngine } from "./llama-engine.js";

const LONG_TOKENS = 3000;

const received: EngineToParentMessage[] = [];
const engine = new LlamaEngine((message: EngineWireMessage) => {
  if (message.type === "tokens") received.push(...message.tokens);
  else received.push(message);
});

const infer = (taskId: string, maxTokens: number): EngineInferMessage => ({ type: "infer", task_id: taskId, prompt: `Task ${taskId}: the cat sat on the mat.`, max_tokens: maxTokens });
const tokensOf = (taskId: string): EngineTokenMessage[] => received.filter((m): m is EngineTokenMessage => m.type === "token" && m.task_id === taskId);
const terminalsOf = (taskId: string): EngineToParentMessage[] => received.filter((m) => (m.type === "done" || m.type === "task_failed") && m.task_id === taskId);

beforeAll(async () => {
  await engine.load({ type: "load", model_path: testModelPath("tiny"), slots: 3, threads: 1, device: "cpu", context_size: 4096 });
  expect(received.find((m) => m.type === "loaded" || m.type === "load_failed")?.type).toBe("loaded");
}, 60_000);

afterAll(async () => {
  await engine.dispose();
});

describe("LlamaEngine abort", () => {
  it("an abort handled right behind its infer (same IPC read) cancels the task before it decodes, while two others generate", async () => {
    const running = ["busy-0", "busy-1"].map((id) => engine.infer(infer(id, LONG_TOKENS)));
    await waitFor(
      () => Promise.resolve(["busy-0", "busy-1"].map((id) => tokensOf(id).length)),
      (counts) => counts.every((n) => n > 0),
      10_000,
    );
    for (let round = 0; round < 3; round++) {
      const id = `late-abort-${round}`;
      // What engine-host does for two messages of one read: both handlers before any await resumes.
      const third = engine.infer(infer(id, LONG_TOKENS));
      engine.abort(id);
      await third;
      expect(terminalsOf(id)).toEqual([expect.objectContaining({ type: "done", task_id: id, stop_reason: "canceled", tokens_out: 0 })]);
      expect(tokensOf(id)).toEqual([]);
    }
    // The two others were not disturbed: still generating, then canceled with one terminal each.
    expect(["busy-0", "busy-1"].map((id) => terminalsOf(id).length)).toEqual([0, 0]);
    for (const id of ["busy-0", "busy-1"]) engine.abort(id);
    await Promise.all(running);
    for (const id of ["busy-0", "busy-1"]) expect(terminalsOf(id)).toEqual([expect.objectContaining({ type: "done", stop_reason: "canceled" })]);
    // Every sequence came back: three tasks can run at once again.
    const after = ["after-0", "after-1", "after-2"];
    await Promise.all(after.map((id) => engine.infer(infer(id, 4))));
    for (const id of after) expect(terminalsOf(id)).toEqual([expect.objectContaining({ type: "done", tokens_out: 4 })]);
  }, 60_000);
});
