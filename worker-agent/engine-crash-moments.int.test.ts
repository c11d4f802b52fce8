// The engine child SIGKILLed at the worst moments, on the real agent with real llama.cpp (the medium
// generated model, 4 slots, 2 threads so every load runs the thread calibration on 3+ cores; on 2 cores
// 2 threads are tried as one, thread-calibration.ts, and the load window is the engine's start-up and
// model load): mid-stream with 4 streams running, mid-prefill of a long prompt, right after a cancel,
// while it loads, and
// in a crash loop. Each task ends with exactly one terminal event, the pool never says ready while its
// engine is dead, restarts back off, the breaker opens, and every slot comes back.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testModelPath } from "../test-support/models.js";
import { getJson, killAllWorkers, postJson, startWorker, streamInfer, terminalEvent, waitFor, type StartedWorker, type StreamResult } from "../test-support/worker-agent-process.js";
import type { PoolStatus } from "../src-shared/worker-api/pool-status.js";
import type { SseEvent } from "../src-shared/streaming/sse-events.js";

let worker: StartedWorker;
const status = async (): Promise<PoolStatus> => (await getJson<PoolStatus>(`${worker.url}/v2/pools/m/status`)).body;
const diagnostics = async () => (await getJson<{ engine_pid: number | null; slots_busy: number; slots_waiting: number; circuit: string }>(`${worker.url}/v2/pools/m/diagnostics`)).body;

function terminals(result: StreamResult): SseEvent[] {
  return result.events.map((e) => e.event).filter((e) => e.event === "end" || e.event === "error");
}
/** Exactly one terminal event, and it is the last one. */
function expectOneTerminal(result: StreamResult): SseEvent {
  expect(terminals(result)).toHaveLength(1);
  const last = terminalEvent(result);
  expect(last).toBeDefined();
  return last as SseEvent;
}
let lastKilled: number | null = null;
/** The pid of a ready engine that is not the one this file killed last (whose death the agent may not have seen yet). */
async function readyEngine(): Promise<number> {
  const found = await waitFor(async () => ({ s: await status(), d: await diagnostics() }), (x) => x.s.ready && x.d.engine_pid !== null && x.d.engine_pid !== lastKilled, 60_000);
  return found.d.engine_pid as number;
}
function kill(pid: number): void {
  lastKilled = pid;
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // gone already
  }
}

beforeAll(async () => {
  worker = await startWorker({
    models: { "medium.gguf": testModelPath("medium") },
    config: {
      threads: 2,
      pools: [{ id: "m", model: "medium.gguf", device: "cpu", slots: 4, context_size: 4096 }],
      supervisor: { initial_backoff_ms: 150, max_backoff_ms: 5000, jitter: 0, max_consecutive_failures: 3, stable_after_ms: 1000, circuit_open_ms: 1000, engine_unresponsive_ms: 3000 },
      slot_wait_ms: 60_000,
    },
  });
  await readyEngine();
}, 90_000);

afterAll(killAllWorkers);

describe("engine child killed at the worst moments", () => {
  it("mid-stream with 4 streams running: each ends once with ENGINE_CRASHED, the pool is not ready until a new engine is, every slot comes back", async () => {
    const pid = await readyEngine();
    let tokensSeen = 0;
    let killed = false;
    const onEvent = (event: SseEvent) => {
      if (event.event === "token" && ++tokensSeen === 8 && !killed) {
        killed = true;
        kill(pid);
      }
    };
    const streams = await Promise.all([0, 1, 2, 3].map((i) => streamInfer(worker.url, "m", { task_id: `four-${i}`, prompt: `Story number ${i}:`, max_tokens: 3000 }, onEvent)));
    for (const r of streams) expect(expectOneTerminal(r)).toMatchObject({ event: "error", data: { code: "ENGINE_CRASHED", retriable: true } });
    // Once the agent has failed the tasks it knows the engine is gone: never ready on the dead one.
    const seen = { s: await status(), d: await diagnostics() };
    expect(seen.s.ready && seen.d.engine_pid === pid).toBe(false);
    if (!seen.s.ready) expect(seen.s.state).toBeOneOf(["backoff", "loading"]);
    const back = await readyEngine();
    expect(back).not.toBe(pid);
    expect(await diagnostics()).toMatchObject({ slots_busy: 0, slots_waiting: 0 });
    const again = await Promise.all([0, 1, 2, 3].map((i) => streamInfer(worker.url, "m", { task_id: `four-again-${i}`, prompt: "the cat", max_tokens: 6 })));
    for (const r of again) expect(expectOneTerminal(r)).toMatchObject({ event: "end", data: { tokens_out: 6 } });
  }, 120_000);

  it("mid-prefill of a long prompt: one ENGINE_CRASHED, no token, and the next request is served", async () => {
    const pid = await readyEngine();
    const prompt = "The quick brown fox jumps over the lazy dog. ".repeat(60);
    const result = await streamInfer(worker.url, "m", { task_id: "prefill-kill", prompt, max_tokens: 8 }, (event) => {
      // The engine reports the prompt's size right before it evaluates it.
      if (event.event === "metrics" && event.data.tokens_in !== undefined) kill(pid);
    });
    expect(expectOneTerminal(result)).toMatchObject({ event: "error", data: { code: "ENGINE_CRASHED" } });
    // Killed before its first token: the ~1,860-token prompt takes far longer to evaluate than the kill to arrive.
    expect(result.events.some((e) => e.event.event === "token")).toBe(false);
    await readyEngine();
    const ok = await streamInfer(worker.url, "m", { task_id: "after-prefill-kill", prompt: "the cat", max_tokens: 6 });
    expect(expectOneTerminal(ok)).toMatchObject({ event: "end", data: { tokens_out: 6 } });
    expect(await diagnostics()).toMatchObject({ slots_busy: 0, slots_waiting: 0 });
  }, 120_000);

  it("right after a cancel: the canceled stream ends once, its slot is free", async () => {
    const pid = await readyEngine();
    const result = await streamInfer(worker.url, "m", { task_id: "cancel-kill", prompt: "Hello", max_tokens: 3000 }, async (event) => {
      if (event.event === "token" && event.data.i === 3) {
        const cancel = postJson(`${worker.url}/v2/tasks/cancel-kill/cancel`, {});
        kill(pid);
        expect([204, 404]).toContain((await cancel).status);
      }
    });
    const last = expectOneTerminal(result);
    expect(last.event === "end" ? last.data.canceled : last.event === "error" ? last.data.code : undefined).toBeOneOf([true, "ENGINE_CRASHED"]);
    await readyEngine();
    expect(await diagnostics()).toMatchObject({ slots_busy: 0, slots_waiting: 0 });
  }, 120_000);

  it("while it loads (the thread calibration): the pool is never ready with a dead engine, restarts back off, and a request waiting meanwhile is served once", async () => {
    const pid = await readyEngine();
    kill(pid);
    // The next engine, caught while it loads (and calibrates, on 3+ cores).
    const loading = await waitFor(async () => ({ s: await status(), d: await diagnostics() }), (x) => x.s.state === "loading" && x.d.engine_pid !== null && x.d.engine_pid !== pid, 30_000);
    const waiting = streamInfer(worker.url, "m", { task_id: "waits-for-restart", prompt: "the cat", max_tokens: 6 });
    kill(loading.d.engine_pid as number);
    const after = await waitFor(status, (s) => s.state !== "loading" || s.restarts > loading.s.restarts, 10_000);
    expect(after.ready).toBe(false);
    await readyEngine();
    const r = await waiting;
    // Waiting for a slot across the restart, or refused as unready at once: either way one terminal event.
    if (r.status === 200) expect(expectOneTerminal(r)).toMatchObject({ event: "end", data: { tokens_out: 6 } });
    else expect(r.body).toMatchObject({ code: "POOL_UNREADY" });
  }, 120_000);

  it("stopped while it loads: the watchdog kills it after 4 × engine_unresponsive_ms and a new engine loads (the pool does not stay `loading`)", async () => {
    const pid = await readyEngine();
    kill(pid);
    const loading = await waitFor(async () => ({ s: await status(), d: await diagnostics() }), (x) => x.s.state === "loading" && x.d.engine_pid !== null && x.d.engine_pid !== pid, 30_000);
    const stopped = loading.d.engine_pid as number;
    process.kill(stopped, "SIGSTOP");
    lastKilled = stopped;
    try {
      // Without the watch during the load this pool stayed `loading` for good (and the orchestrator queued requests for it).
      // The load's limit: 4 × engine_unresponsive_ms (3 s).
      const after = await waitFor(status, (s) => s.state !== "loading", 25_000);
      expect(after.ready).toBe(false);
      expect(after.last_error).toContain("stopped answering while loading");
    } finally {
      kill(stopped);
    }
    await readyEngine();
  }, 120_000);

  it("in a crash loop: the restart delays grow, the breaker opens (not ready, refused), and its trial brings the pool back", async () => {
    const restartsBefore = (await status()).restarts;
    await readyEngine();
    // Past stable_after_ms: the earlier tests' crashes no longer count as consecutive.
    await new Promise((r) => setTimeout(r, 1500));
    const logsBefore = worker.logs.length;
    for (let round = 0; round < 3; round++) kill(await readyEngine());
    const open = await waitFor(status, (s) => s.state === "circuit_open", 30_000);
    expect(open.ready).toBe(false);
    const refused = await postJson<{ code: string }>(`${worker.url}/v2/pools/m/infer`, { task_id: "while-open", prompt: "x", max_tokens: 2 });
    expect(refused.status).toBe(503);
    const delays = worker.logs.slice(logsBefore).filter((l) => l.msg === "engine restart scheduled").map((l) => Number(l.delay_ms));
    expect(delays).toHaveLength(2);
    for (let i = 1; i < delays.length; i++) expect(delays[i]).toBeGreaterThan(delays[i - 1] as number);
    const back = await waitFor(status, (s) => s.ready, 60_000);
    expect(back.restarts).toBeGreaterThan(restartsBefore);
    const ok = await streamInfer(worker.url, "m", { task_id: "after-loop", prompt: "the cat", max_tokens: 6 });
    expect(expectOneTerminal(ok)).toMatchObject({ event: "end", data: { tokens_out: 6 } });
  }, 180_000);
});
