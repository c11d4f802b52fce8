// The agent process itself signalled mid-stream, on its own API with real llama.cpp: SIGSTOP for 10 s
// (a client that stays gets the rest once; one that left meanwhile frees its slot on resume), SIGTERM
// (each stream ends once, exit 0, no engine left), SIGKILL (no engine outlives it).
import { afterAll, describe, expect, it } from "vitest";
import { testModelPath } from "../test-support/models.js";
import { processAlive } from "../test-support/process-alive.js";
import { getJson, killAllWorkers, metricValue, startWorker, streamInfer, terminalEvent, waitFor, type StartedWorker, type StreamResult } from "../test-support/worker-agent-process.js";
import type { PoolStatus } from "../src-shared/worker-api/pool-status.js";

afterAll(killAllWorkers);

const diagnostics = async (w: StartedWorker) => (await getJson<{ engine_pid: number | null; slots_busy: number; slots_waiting: number }>(`${w.url}/v2/pools/m/diagnostics`)).body;
const metrics = async (w: StartedWorker) => (await fetch(`${w.url}/metrics`, { headers: { authorization: `Bearer ${w.token}` } })).text();

async function startAgent(extra: Record<string, unknown> = {}): Promise<StartedWorker> {
  const w = await startWorker({
    models: { "medium.gguf": testModelPath("medium") },
    config: { pools: [{ id: "m", model: "medium.gguf", device: "cpu", slots: 2, context_size: 4096 }], ...extra },
  });
  await waitFor(async () => (await getJson<PoolStatus>(`${w.url}/v2/pools/m/status`)).body, (s) => s.ready, 60_000);
  return w;
}
function tokenIndices(r: StreamResult): number[] {
  return r.events.flatMap((e) => (e.event.event === "token" ? [e.event.data.i] : []));
}
function terminalCount(r: StreamResult): number {
  return r.events.filter((e) => e.event.event === "end" || e.event.event === "error").length;
}

describe("agent signalled mid-stream", () => {
  it("SIGSTOP 10 s then SIGCONT: the client that stayed gets the rest once; the one that left frees its slot and stops its generation", async () => {
    const w = await startAgent();
    let stopped = false;
    const leaver = new AbortController();
    const stayer = streamInfer(w.url, "m", { task_id: "stays", prompt: "Once upon a time", max_tokens: 600 }, (e) => {
      if (e.event === "token" && e.data.i === 3 && !stopped) {
        stopped = true;
        process.kill(w.pid, "SIGSTOP");
        // The client leaves while the agent cannot see it.
        setTimeout(() => leaver.abort(), 2000);
        setTimeout(() => process.kill(w.pid, "SIGCONT"), 10_000);
      }
    });
    const left = fetch(`${w.url}/v2/pools/m/infer`, { method: "POST", headers: { authorization: `Bearer ${w.token}`, "content-type": "application/json" }, body: JSON.stringify({ task_id: "leaves", prompt: "Far away", max_tokens: 3000 }), signal: leaver.signal })
      .then(async (res) => {
        for await (const chunk of res.body as ReadableStream<Uint8Array>) void chunk;
      })
      .catch(() => undefined);
    const r = await stayer;
    await left;
    expect(terminalCount(r)).toBe(1);
    expect(terminalEvent(r)).toMatchObject({ event: "end", data: { tokens_out: 600 } });
    expect(tokenIndices(r)).toEqual([...Array(600).keys()]);
    // The departed client's task is canceled on resume: its slot frees and the engine stops generating for it.
    await waitFor(() => diagnostics(w), (d) => d.slots_busy === 0 && d.slots_waiting === 0, 10_000);
    const generated = metricValue(await metrics(w), "pool_tokens_generated_total", { pool_id: "m" });
    await new Promise((res) => setTimeout(res, 1500));
    expect(metricValue(await metrics(w), "pool_tokens_generated_total", { pool_id: "m" })).toBe(generated);
    await w.stop("SIGKILL");
  }, 120_000);

  it("SIGTERM mid-stream: each stream ends once, the agent exits 0 and its engine is gone", async () => {
    const w = await startAgent({ shutdown_drain_ms: 3000 });
    const { engine_pid: enginePid } = await diagnostics(w);
    let sent = false;
    const onEvent = (e: { event: string; data: unknown }) => {
      if (e.event === "token" && !sent) {
        sent = true;
        process.kill(w.pid, "SIGTERM");
      }
    };
    const streams = await Promise.all([
      streamInfer(w.url, "m", { task_id: "t-short", prompt: "the cat", max_tokens: 40 }, onEvent),
      streamInfer(w.url, "m", { task_id: "t-long", prompt: "the dog", max_tokens: 3500 }, onEvent),
    ]);
    for (const r of streams) expect(terminalCount(r)).toBe(1);
    expect(terminalEvent(streams[0] as StreamResult)).toMatchObject({ event: "end" });
    expect(terminalEvent(streams[1] as StreamResult)?.event).toBeOneOf(["end", "error"]);
    expect(await w.exited).toEqual({ code: 0, signal: null });
    await waitFor("the engine gone", () => !processAlive(enginePid as number), 10_000);
  }, 120_000);

  it("SIGKILL mid-stream: the client's stream breaks, and no engine outlives the agent", async () => {
    const w = await startAgent();
    const { engine_pid: enginePid } = await diagnostics(w);
    const r = await streamInfer(w.url, "m", { task_id: "k", prompt: "the cat", max_tokens: 3000 }, (e) => {
      if (e.event === "token" && e.data.i === 3) process.kill(w.pid, "SIGKILL");
    }).catch((err: unknown) => err);
    expect(r).toBeInstanceOf(Error);
    await waitFor("the engine gone", () => !processAlive(enginePid as number), 15_000);
  }, 120_000);
});
