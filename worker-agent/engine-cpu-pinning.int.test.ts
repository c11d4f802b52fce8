// The real agent process with real node-llama-cpp engines (one llama.cpp thread each): with
// engine_cpu_pinning "auto" (the default) every thread of a loaded engine runs on one CPU, the agent
// moves off that CPU while others are free, a restarted engine is pinned again, and the pinned engine
// serves; with "off" nothing is pinned. Linux only, and needs two CPUs (skipped with the reason otherwise).
import { readdirSync, readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { testModelPath } from "../test-support/models.js";
import { waitFor } from "../test-support/wait-for.js";
import { getJson, killAllWorkers, startWorker, streamInfer, terminalEvent, tokenTexts, type StartedWorker } from "../test-support/worker-agent-process.js";
import { allowedCpus, parseCpuList } from "./engine/engine-cpu-pinning.js";

const cpus = allowedCpus();
const skipReason = process.platform !== "linux" ? "CPU pinning is Linux only" : cpus.length < 2 ? `${cpus.length} CPU allowed here: nothing to pin to` : undefined;
if (skipReason !== undefined) console.log(`engine-cpu-pinning.int.test.ts skipped: ${skipReason}`);

/** The CPUs each thread of `pid` may run on (empty once the process is gone). */
function threadCpus(pid: number): number[][] {
  try {
    return readdirSync(`/proc/${pid}/task`).map((tid) => {
      const status = readFileSync(`/proc/${pid}/task/${tid}/status`, "utf8");
      return parseCpuList(/^Cpus_allowed_list:\s*(.+)$/m.exec(status)?.[1] ?? "");
    });
  } catch {
    return [];
  }
}

const enginePid = async (worker: StartedWorker, pool: string): Promise<number | null> =>
  (await getJson<{ engine_pid: number | null }>(`${worker.url}/v2/pools/${pool}/diagnostics`)).body.engine_pid;
const ready = async (worker: StartedWorker, pool: string): Promise<boolean> => (await getJson<{ ready: boolean }>(`${worker.url}/v2/pools/${pool}/status`)).body.ready;

/** Waits until every thread of the engine runs on the same single CPU, and returns it. */
async function pinnedCpu(pid: number): Promise<number> {
  let cpu = -1;
  await waitFor(`every thread of engine ${pid} on one CPU`, () => {
    const threads = threadCpus(pid);
    const first = threads[0];
    if (threads.length === 0 || first?.length !== 1 || !threads.every((t) => t.length === 1 && t[0] === first[0])) return false;
    cpu = first[0] as number;
    return true;
  }, 20_000);
  return cpu;
}

afterAll(() => killAllWorkers());

describe.skipIf(skipReason !== undefined)("engine CPU pinning (real agent, real engines)", () => {
  it("pins a one-thread engine and keeps the agent off its CPU, again after a crash; the engine serves", async () => {
    const worker = await startWorker({
      models: { "tiny.gguf": testModelPath("tiny") },
      config: { threads: 1, pools: [{ id: "a", model: "tiny.gguf", device: "cpu", slots: 2, context_size: 1024 }] },
    });
    await waitFor("pool a ready", () => ready(worker, "a"), 60_000);
    const first = await enginePid(worker, "a");
    expect(first).not.toBeNull();
    const cpu = await pinnedCpu(first as number);
    expect(cpus).toContain(cpu);
    await worker.waitForLog((l) => l.msg === "engine pinned to a CPU" && l.cpu === cpu);
    // The agent leaves the engine's CPU to it (every agent thread), keeping all the others.
    await waitFor("the agent off the engine's CPU", () => threadCpus(worker.pid).every((t) => t.join() === cpus.filter((c) => c !== cpu).join()), 10_000);

    const served = await streamInfer(worker.url, "a", { task_id: "pinned-1", prompt: "The cat sat on the", max_tokens: 16, temperature: 0 });
    expect(terminalEvent(served)?.event).toBe("end");
    expect(tokenTexts(served).length).toBeGreaterThan(0);

    // A crash: the restarted engine starts on all CPUs (not on the agent's narrowed set) and is pinned again.
    process.kill(first as number, "SIGKILL");
    await waitFor("a restarted engine, ready", async () => {
      const next = await enginePid(worker, "a");
      return next !== null && next !== first && (await ready(worker, "a"));
    }, 60_000);
    const second = (await enginePid(worker, "a")) as number;
    const again = await pinnedCpu(second);
    expect(cpus).toContain(again);
    await waitFor("the agent off the new engine's CPU", () => threadCpus(worker.pid).every((t) => !t.includes(again) && t.length === cpus.length - 1), 10_000);
    const afterCrash = await streamInfer(worker.url, "a", { task_id: "pinned-2", prompt: "The cat sat on the", max_tokens: 16, temperature: 0 });
    expect(terminalEvent(afterCrash)?.event).toBe("end");
    await worker.stop();
  }, 180_000);

  it("lets the pinned engine onto all CPUs while it serves two streams, and pins it back after", async () => {
    const worker = await startWorker({
      models: { "medium.gguf": testModelPath("medium") },
      config: { threads: 1, pools: [{ id: "m", model: "medium.gguf", device: "cpu", slots: 2, context_size: 1024 }] },
    });
    await waitFor("pool m ready", () => ready(worker, "m"), 60_000);
    const pid = (await enginePid(worker, "m")) as number;
    const cpu = await pinnedCpu(pid);
    // Two long streams at once (~1 s each here): the engine is spread over all CPUs while both run.
    const streams = [1, 2].map((n) => streamInfer(worker.url, "m", { task_id: `two-${n}`, prompt: `Stream ${n}: the cat sat on the`, max_tokens: 900, temperature: 0 }));
    await waitFor("the engine on all CPUs during two streams", () => threadCpus(pid).every((t) => t.join() === cpus.join()), 10_000);
    const results = await Promise.all(streams);
    for (const r of results) expect(terminalEvent(r)?.event).toBe("end");
    // One stream again (none here): back on its CPU, the agent off it.
    expect(await pinnedCpu(pid)).toBe(cpu);
    await waitFor("the agent off the engine's CPU again", () => threadCpus(worker.pid).every((t) => !t.includes(cpu)), 10_000);
    await worker.stop();
  }, 180_000);

  it("tries a thread count that would take every core as cores − 1, leaving one for the engine's JavaScript thread and the agent", async () => {
    const worker = await startWorker({
      models: { "tiny.gguf": testModelPath("tiny") },
      config: { threads: cpus.length, pools: [{ id: "a", model: "tiny.gguf", device: "cpu", slots: 2, context_size: 1024 }] },
    });
    const ready = await worker.waitForLog((l) => l.msg === "engine ready", 60_000);
    expect(ready.threads).toBeLessThanOrEqual(cpus.length - 1);
    expect(ready.threads_configured).toBe(cpus.length);
    // Never even timed with every core (on 2 cores nothing is timed: one thread is all that is tried).
    expect(Object.keys((ready.thread_calibration_ms_per_token ?? {}) as Record<string, number>)).not.toContain(String(cpus.length));
    await worker.stop();
  }, 120_000);

  it("pins nothing with engine_cpu_pinning off (and calibrates the threads asked for)", async () => {
    const worker = await startWorker({
      models: { "tiny.gguf": testModelPath("tiny") },
      config: { threads: cpus.length, engine_cpu_pinning: "off", pools: [{ id: "a", model: "tiny.gguf", device: "cpu", slots: 2, context_size: 1024 }] },
    });
    // Unpinned, the calibration times the count asked for against one thread, as it always did (a count
    // that collapses within the budget has no finite time and is left out of the log line).
    const engineReady = await worker.waitForLog((l) => l.msg === "engine ready", 60_000);
    expect(Object.keys((engineReady.thread_calibration_ms_per_token ?? {}) as Record<string, number>)).toContain("1");
    await waitFor("pool a ready", () => ready(worker, "a"), 60_000);
    const pid = (await enginePid(worker, "a")) as number;
    const served = await streamInfer(worker.url, "a", { task_id: "unpinned-1", prompt: "The cat sat on the", max_tokens: 8, temperature: 0 });
    expect(terminalEvent(served)?.event).toBe("end");
    expect(threadCpus(pid).every((t) => t.join() === cpus.join())).toBe(true);
    expect(threadCpus(worker.pid).every((t) => t.join() === cpus.join())).toBe(true);
    expect(worker.logs.some((l) => l.msg === "engine pinned to a CPU")).toBe(false);
    await worker.stop();
  }, 120_000);
});
