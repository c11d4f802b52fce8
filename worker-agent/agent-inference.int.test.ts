// The real agent process on loopback with generated models and real llama.cpp engines:
// pools a (tiny, 2 slots), b (tiny-b, 2 slots), m (medium, 4 slots) and bad (a GGUF that aborts
// the process loading it).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeTinyGguf } from "../scripts/gguf/write-tiny-gguf.js";
import { testModelPath } from "../test-support/models.js";
import {
  getJson,
  killAllWorkers,
  metricValue,
  postJson,
  startWorker,
  streamInfer,
  terminalEvent,
  tokenTexts,
  waitFor,
  type StartedWorker,
  type StreamResult,
} from "../test-support/worker-agent-process.js";
import type { ErrorEnvelope } from "../src-shared/errors/error-envelope.js";
import type { ModelInventoryResponse } from "../src-shared/worker-api/model-transfer.js";
import type { PoolStatus, PoolStatusListResponse } from "../src-shared/worker-api/pool-status.js";

/** max_tokens of a stream the test ends itself (cancel, disconnect, crash, drain); fits a 4096-token slot. */
const OPEN_ENDED = 4000;

let worker: StartedWorker;
let scratch: string;
let brokenSha = "";

const status = async (pool: string): Promise<PoolStatus> => (await getJson<PoolStatus>(`${worker.url}/v2/pools/${pool}/status`)).body;
const diagnostics = async (pool: string) => (await getJson<{ engine_pid: number | null; slots_busy: number; slots_waiting: number; circuit: string }>(`${worker.url}/v2/pools/${pool}/diagnostics`)).body;
const metricsText = async (): Promise<string> => (await fetch(`${worker.url}/metrics`, { headers: { authorization: `Bearer ${worker.token}` } })).text();

function firstTokenAt(result: StreamResult): number {
  const e = result.events.find((x) => x.event.event === "token");
  if (e === undefined) throw new Error("stream had no token");
  return e.at;
}
function terminalAt(result: StreamResult): number {
  const e = result.events[result.events.length - 1];
  if (e === undefined) throw new Error("empty stream");
  return e.at;
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "llorch-broken-"));
  const broken = await writeTinyGguf(join(scratch, "broken.gguf"), { size: "tiny", seed: 7, name: "broken", defect: "missing-feed-forward-length" });
  brokenSha = broken.sha256;
  worker = await startWorker({
    models: { "tiny.gguf": testModelPath("tiny"), "tiny-b.gguf": testModelPath("tiny-b"), "medium.gguf": testModelPath("medium"), "broken.gguf": broken.path },
    config: {
      pools: [
        // Beyond the tiny models' 512-token training context: prompt + max_tokens must fit a slot's
        // context (CONTEXT_TOO_LONG otherwise), and the open-ended streams below ask for 4,000 tokens.
        { id: "a", model: "tiny.gguf", device: "cpu", slots: 2, context_size: 4096 },
        { id: "b", model: "tiny-b.gguf", device: "cpu", slots: 2, context_size: 4096 },
        { id: "m", model: "medium.gguf", device: "cpu", slots: 4, context_size: 4096 },
        { id: "bad", model: "broken.gguf", device: "cpu", slots: 1 },
      ],
      supervisor: { initial_backoff_ms: 150, max_backoff_ms: 1000, max_consecutive_failures: 3, circuit_open_ms: 600_000, engine_unresponsive_ms: 5000 },
      slot_wait_ms: 60_000,
    },
  });
  for (const pool of ["a", "b", "m"]) await waitFor(() => status(pool), (s) => s.ready, 30_000);
}, 60_000);

afterAll(async () => {
  await killAllWorkers();
  await rm(scratch, { recursive: true, force: true });
});

describe("worker agent with real llama.cpp", () => {
  it("lists its pools with the original's status fields and the loaded model's sha256", async () => {
    const { status: code, body } = await getJson<PoolStatusListResponse>(`${worker.url}/v2/pools`);
    expect(code).toBe(200);
    expect(body.pools.map((p) => p.pool_id)).toEqual(["a", "b", "bad", "m"]);
    const a = body.pools.find((p) => p.pool_id === "a");
    expect(a).toMatchObject({ live: true, ready: true, draining: false, slots_total: 2, slots_free: 2, engine: "llamacpp", device_mask: "cpu", vram_free_bytes: 0 });
    expect(a?.engine_version).toMatch(/^llama\.cpp /);
    const inventory = (await getJson<ModelInventoryResponse>(`${worker.url}/v2/models`)).body.models;
    const tiny = inventory.find((m) => m.file_name === "tiny.gguf");
    expect(a?.model).toEqual({ sha256: tiny?.sha256, name: "llama-orch-test-tiny" });
    expect(tiny).toMatchObject({ architecture: "llama", context_length: 512, quantization: "F32", has_chat_template: false });
    expect(tiny?.parameter_count).toBeGreaterThan(100_000);
    expect(inventory.map((m) => m.file_name).sort()).toEqual(["broken.gguf", "medium.gguf", "tiny-b.gguf", "tiny.gguf"]);
    expect(inventory.find((m) => m.file_name === "broken.gguf")?.sha256).toBe(brokenSha);
  });

  it("rejects an invalid infer request with INVALID_PARAMS naming the field, and a duplicate running task id with CONFLICT", async () => {
    const invalid = await postJson<ErrorEnvelope>(`${worker.url}/v2/pools/a/infer`, { task_id: "bad-req", prompt: "x", max_tokens: 0 });
    expect(invalid.status).toBe(400);
    expect(invalid.body.code).toBe("INVALID_PARAMS");
    expect(JSON.stringify(invalid.body.details)).toContain("max_tokens");
    const both = await postJson<ErrorEnvelope>(`${worker.url}/v2/pools/a/infer`, { task_id: "bad-req", prompt: "x", messages: [{ role: "user", content: "y" }], max_tokens: 2 });
    expect(both.status).toBe(400);
    // A field this worker does not know (a newer orchestrator's sampling option) is refused by name, not dropped.
    const unknown = await postJson<ErrorEnvelope>(`${worker.url}/v2/pools/a/infer`, { task_id: "bad-req", prompt: "x", max_tokens: 2, dry_multiplier: 0.8 });
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.body)).toContain("dry_multiplier");
    let duplicate = 0;
    await streamInfer(worker.url, "a", { task_id: "dup", prompt: "x", max_tokens: OPEN_ENDED }, async (event) => {
      if (event.event !== "token" || event.data.i !== 0) return;
      duplicate = (await postJson(`${worker.url}/v2/pools/a/infer`, { task_id: "dup", prompt: "x", max_tokens: 2 })).status;
      await postJson(`${worker.url}/v2/tasks/dup/cancel`, {});
    });
    expect(duplicate).toBe(409);
  });

  it("streams started → metrics (the prompt's size) → token* → metrics → end, greedy and deterministic, different per model", async () => {
    const request = { prompt: "Hello world, the cat sat on the mat.", max_tokens: 24 };
    const first = await streamInfer(worker.url, "a", { task_id: "stream-1", ...request });
    expect(first.status).toBe(200);
    const names = first.events.map((e) => e.event.event);
    expect(names.slice(0, 2)).toEqual(["started", "metrics"]);
    expect(names.slice(2, 26)).toEqual(Array(24).fill("token"));
    expect(names.slice(26)).toEqual(["metrics", "end"]);
    const end = terminalEvent(first);
    expect(end?.event === "end" && end.data).toMatchObject({ tokens_out: 24, stop_reason: "max_tokens" });
    // Announced before the output, as the end repeats it (Anthropic's message_start reads it).
    expect(first.events[1]?.event.data).toEqual({ tokens_in: end?.event === "end" ? end.data.tokens_in : -1 });
    first.events.forEach((e, i) => {
      if (e.event.event === "token") expect(e.event.data.i).toBe(i - 2);
    });
    const again = await streamInfer(worker.url, "a", { task_id: "stream-2", ...request });
    expect(tokenTexts(again)).toEqual(tokenTexts(first));
    const other = await streamInfer(worker.url, "b", { task_id: "stream-3", ...request });
    expect(tokenTexts(other)).toHaveLength(24);
    expect(tokenTexts(other).join("")).not.toBe(tokenTexts(first).join(""));
  });

  it("serves chat messages through the model's chat wrapper, and seeded sampling reproduces", async () => {
    const chat = await streamInfer(worker.url, "a", {
      task_id: "chat-1",
      messages: [
        { role: "system", content: "You are terse." },
        { role: "user", content: "Say hello" },
      ],
      max_tokens: 8,
    });
    expect(terminalEvent(chat)).toMatchObject({ event: "end", data: { tokens_out: tokenTexts(chat).length } });
    expect(tokenTexts(chat).length).toBeGreaterThan(0);
    const sample = (id: string, seed: number) => streamInfer(worker.url, "b", { task_id: id, prompt: "the cat", max_tokens: 16, temperature: 0.9, seed });
    const [s1, s2, s3] = [await sample("seed-1", 1), await sample("seed-2", 1), await sample("seed-3", 2)];
    expect(tokenTexts(s1)).toEqual(tokenTexts(s2));
    expect(tokenTexts(s3)).not.toEqual(tokenTexts(s1));
  });

  it("runs 4 requests on a 4-slot pool concurrently, and a 5th starts only after one of them ends", async () => {
    // Four open-ended streams: once all four have tokens, none has ended, so they overlap; each must
    // keep producing after the last of them started (interleaved, i.e. batched, not one after another).
    const tokensSeen = [0, 0, 0, 0];
    let allStarted!: () => void;
    const allStartedPromise = new Promise<void>((resolve) => (allStarted = resolve));
    const running = [0, 1, 2, 3].map((i) =>
      streamInfer(worker.url, "m", { task_id: `conc-${i}`, prompt: `Request number ${i}: the cat`, max_tokens: OPEN_ENDED }, (event) => {
        if (event.event !== "token") return;
        tokensSeen[i] = (tokensSeen[i] ?? 0) + 1;
        if (tokensSeen.every((n) => n >= 1)) allStarted();
      }),
    );
    await allStartedPromise;
    const allStartedAt = performance.now();
    await waitFor(async () => tokensSeen, (seen) => seen.every((n) => n >= 20));
    // The 5th arrives while all four slots are busy.
    const fifth = streamInfer(worker.url, "m", { task_id: "conc-4", prompt: "the fifth", max_tokens: 10 });
    await waitFor(() => diagnostics("m"), (d) => d.slots_waiting === 1);
    expect((await postJson(`${worker.url}/v2/tasks/conc-0/cancel`, {})).status).toBe(204);
    const fifthResult = await fifth;
    for (const id of ["conc-1", "conc-2", "conc-3"]) await postJson(`${worker.url}/v2/tasks/${id}/cancel`, {});
    const results = await Promise.all(running);

    for (const r of results) {
      expect(terminalEvent(r)).toMatchObject({ event: "end", data: { canceled: true } });
      expect(r.events.some((e) => e.event.event === "token" && e.at > allStartedAt)).toBe(true);
    }
    const latestFirstToken = Math.max(...results.map(firstTokenAt));
    const earliestEnd = Math.min(...results.map(terminalAt));
    expect(latestFirstToken).toBeLessThan(earliestEnd);
    const started = fifthResult.events[0]?.event;
    expect(started?.event === "started" && started.data.queue_position).toBe(1);
    expect(terminalEvent(fifthResult)).toMatchObject({ event: "end", data: { tokens_out: 10 } });
    // The 5th got a slot only when conc-0 ended.
    expect(firstTokenAt(fifthResult)).toBeGreaterThan(terminalAt(results[0] as StreamResult));
  });

  it("cancel stops generation in the engine: the stream ends with end+canceled and no token follows", async () => {
    let cancelStatus = 0;
    const result = await streamInfer(worker.url, "a", { task_id: "cancel-me", prompt: "Hello", max_tokens: OPEN_ENDED }, async (event, index) => {
      if (event.event === "token" && event.data.i === 4) {
        cancelStatus = (await postJson(`${worker.url}/v2/tasks/cancel-me/cancel`, {})).status;
      }
      void index;
    });
    expect(cancelStatus).toBe(204);
    const end = terminalEvent(result);
    expect(end?.event).toBe("end");
    expect(end?.event === "end" && end.data.canceled).toBe(true);
    expect(result.events[result.events.length - 1]?.event.event).toBe("end");
    const received = tokenTexts(result).length;
    expect(end?.event === "end" && end.data.tokens_out).toBe(received);
    expect(received).toBeLessThan(OPEN_ENDED);
    // The engine really stopped: the slot frees and its generated-token counter stays put.
    await waitFor(() => diagnostics("a"), (d) => d.slots_busy === 0);
    const before = metricValue(await metricsText(), "pool_tokens_generated_total", { pool_id: "a" });
    await new Promise((r) => setTimeout(r, 300));
    expect(metricValue(await metricsText(), "pool_tokens_generated_total", { pool_id: "a" })).toBe(before);
    expect((await postJson(`${worker.url}/v2/tasks/cancel-me/cancel`, {})).status).toBe(404);
  });

  it("a client disconnect cancels the task and frees its slot", async () => {
    const canceledBefore = metricValue(await metricsText(), "pool_infer_requests_total", { pool_id: "a", outcome: "canceled" }) ?? 0;
    await streamInfer(worker.url, "a", { task_id: "disconnect-me", prompt: "Hello", max_tokens: OPEN_ENDED }, (event) =>
      event.event === "token" && event.data.i === 3 ? "abort" : undefined,
    );
    await waitFor(() => diagnostics("a"), (d) => d.slots_busy === 0);
    const canceledAfter = await waitFor(
      async () => metricValue(await metricsText(), "pool_infer_requests_total", { pool_id: "a", outcome: "canceled" }) ?? 0,
      (v) => v > canceledBefore,
    );
    expect(canceledAfter).toBe(canceledBefore + 1);
  });

  it("a GGUF that aborts its engine leaves the agent and the other pools serving; its breaker opens", async () => {
    const bad = await waitFor(() => status("bad"), (s) => s.state === "circuit_open", 30_000);
    expect(bad.ready).toBe(false);
    expect(bad.last_error).toMatch(/SIGABRT|code 134/);
    expect(bad.restarts).toBeGreaterThanOrEqual(2);
    const refused = await postJson<ErrorEnvelope>(`${worker.url}/v2/pools/bad/infer`, { task_id: "bad-1", prompt: "x", max_tokens: 4 });
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ code: "POOL_UNREADY", pool_id: "bad" });
    const ok = await streamInfer(worker.url, "b", { task_id: "still-serving", prompt: "the cat", max_tokens: 8 });
    expect(terminalEvent(ok)).toMatchObject({ event: "end", data: { tokens_out: 8 } });
    expect((await fetch(`${worker.url}/health`)).status).toBe(200);
  });

  it("a killed engine child fails its in-flight task with ENGINE_CRASHED at once and is restarted to ready", async () => {
    const { engine_pid: pid } = await diagnostics("b");
    expect(pid).toBeGreaterThan(0);
    const result = await streamInfer(worker.url, "b", { task_id: "crash-me", prompt: "Hello", max_tokens: OPEN_ENDED }, (event) => {
      if (event.event === "token" && event.data.i === 2) process.kill(pid as number, "SIGKILL");
    });
    expect(terminalEvent(result)).toMatchObject({ event: "error", data: { code: "ENGINE_CRASHED", retriable: true } });
    const restarted = await waitFor(() => status("b"), (s) => s.ready && s.restarts >= 1, 20_000);
    expect(restarted.live).toBe(true);
    const after = await diagnostics("b");
    expect(after.engine_pid).not.toBe(pid);
    const ok = await streamInfer(worker.url, "b", { task_id: "after-crash", prompt: "the cat", max_tokens: 8 });
    expect(terminalEvent(ok)).toMatchObject({ event: "end", data: { tokens_out: 8 } });
    expect(metricValue(await metricsText(), "pool_engine_restarts_total", { pool_id: "b", reason: "crash" })).toBe(1);
  });

  it("a stopped engine child (alive, answering nothing) is killed by the watchdog: its task fails with ENGINE_CRASHED, the pool restarts", async () => {
    const { engine_pid: pid } = await diagnostics("a");
    expect(pid).toBeGreaterThan(0);
    try {
      // Without the watchdog this stream waited forever with its slot held, and the pool stayed ready.
      const result = await streamInfer(worker.url, "a", { task_id: "stop-me", prompt: "Hello", max_tokens: OPEN_ENDED }, (event) => {
        if (event.event === "token" && event.data.i === 2) process.kill(pid as number, "SIGSTOP");
      });
      expect(terminalEvent(result)).toMatchObject({ event: "error", data: { code: "ENGINE_CRASHED", retriable: true, message: expect.stringContaining("stopped answering") } });
    } finally {
      try {
        process.kill(pid as number, "SIGCONT");
      } catch {
        // Killed by the watchdog, as it should be.
      }
    }
    const restarted = await waitFor(() => status("a"), (s) => s.ready && s.restarts >= 1, 20_000);
    expect(restarted.live).toBe(true);
    expect((await diagnostics("a")).engine_pid).not.toBe(pid);
    const ok = await streamInfer(worker.url, "a", { task_id: "after-stop", prompt: "the cat", max_tokens: 8 });
    expect(terminalEvent(ok)).toMatchObject({ event: "end", data: { tokens_out: 8 } });
  });

  it("the agent's own pause (stopped longer than engine_unresponsive_ms) does not kill its healthy engines on resume", async () => {
    // Before: on SIGCONT the watchdog's first tick saw 7 s without a pong (the pongs sat unread in the
    // pipes) and killed every engine: ENGINE_CRASHED for their tasks, reloads, a crash on the breaker.
    for (const pool of ["b", "m"]) await waitFor(() => status(pool), (s) => s.ready, 30_000);
    const before = { b: await diagnostics("b"), m: await diagnostics("m") };
    const restartsBefore = { b: (await status("b")).restarts, m: (await status("m")).restarts };
    process.kill(worker.pid, "SIGSTOP");
    try {
      await new Promise((r) => setTimeout(r, 7000));
    } finally {
      process.kill(worker.pid, "SIGCONT");
    }
    // Past two ping intervals after the resume (5 s / 4 each): a kill would have happened by now.
    await new Promise((r) => setTimeout(r, 3000));
    for (const pool of ["b", "m"] as const) {
      expect((await diagnostics(pool)).engine_pid).toBe(before[pool].engine_pid);
      expect((await status(pool)).restarts).toBe(restartsBefore[pool]);
    }
    const ok = await streamInfer(worker.url, "b", { task_id: "after-agent-pause", prompt: "the cat", max_tokens: 8 });
    expect(terminalEvent(ok)).toMatchObject({ event: "end", data: { tokens_out: 8 } });
  });

  it("reload switches a pool's model, and rolls back when the new model cannot load", async () => {
    const models = (await getJson<ModelInventoryResponse>(`${worker.url}/v2/models`)).body.models;
    const tinySha = models.find((m) => m.file_name === "tiny.gguf")?.sha256 as string;
    const accepted = await postJson(`${worker.url}/v2/pools/b/reload`, { model: `sha256:${tinySha}`, drain_deadline_ms: 5000 });
    expect(accepted.status).toBe(202);
    const reloaded = await waitFor(() => status("b"), (s) => s.ready && s.model?.sha256 === tinySha, 20_000);
    expect(reloaded.last_error).toBeNull();
    const rollback = await postJson(`${worker.url}/v2/pools/b/reload`, { model: "broken.gguf" });
    expect(rollback.status).toBe(202);
    const rolledBack = await waitFor(() => status("b"), (s) => s.ready && (s.last_error ?? "").includes("rolled back"), 20_000);
    expect(rolledBack.model?.sha256).toBe(tinySha);
    const unknown = await postJson<ErrorEnvelope>(`${worker.url}/v2/pools/b/reload`, { model: "no-such-model" });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe("MODEL_NOT_FOUND");
  });

  it("drain lets in-flight work finish until the deadline, then aborts it with an error event", async () => {
    const short = streamInfer(worker.url, "a", { task_id: "drain-short", prompt: "Hello", max_tokens: 40 });
    let drainStatus = 0;
    const long = streamInfer(worker.url, "a", { task_id: "drain-long", prompt: "Hello", max_tokens: OPEN_ENDED }, async (event) => {
      if (event.event === "token" && event.data.i === 0) drainStatus = (await postJson(`${worker.url}/v2/pools/a/drain`, { deadline_ms: 500 })).status;
    });
    const [shortResult, longResult] = await Promise.all([short, long]);
    expect(drainStatus).toBe(202);
    expect(terminalEvent(shortResult)).toMatchObject({ event: "end", data: { tokens_out: 40 } });
    expect(terminalEvent(longResult)).toMatchObject({ event: "error", data: { code: "WORKER_RESET" } });
    const drained = await waitFor(() => status("a"), (s) => s.state === "stopped");
    expect(drained.ready).toBe(false);
    const refused = await postJson<ErrorEnvelope>(`${worker.url}/v2/pools/a/infer`, { task_id: "after-drain", prompt: "x", max_tokens: 2 });
    expect(refused.status).toBe(503);
    expect(refused.body.code).toBe("POOL_UNREADY");
    // A reload brings a drained pool back.
    expect((await postJson(`${worker.url}/v2/pools/a/reload`, { model: "tiny.gguf" })).status).toBe(202);
    await waitFor(() => status("a"), (s) => s.ready, 20_000);
  });

  it("exports pool, slot, token, restart and latency metrics", async () => {
    const text = await metricsText();
    for (const name of ["pool_ready", "pool_slots_capacity", "pool_slots_free", "pool_vram_free_bytes", "pool_tokens_out_total", "pool_engine_restarts_total", "pool_infer_first_token_ms_bucket", "pool_infer_decode_ms_count"]) {
      expect(text, name).toContain(`${name}{`);
    }
    expect(metricValue(text, "pool_ready", { pool_id: "m" })).toBe(1);
    expect(metricValue(text, "pool_ready", { pool_id: "bad" })).toBe(0);
    expect(metricValue(text, "pool_slots_capacity", { pool_id: "m" })).toBe(4);
    expect(metricValue(text, "pool_tokens_out_total", { pool_id: "m" })).toBeGreaterThanOrEqual(4 * 20 + 10);
    expect(metricValue(text, "pool_circuit_open", { pool_id: "bad" })).toBe(1);
    expect(text).toMatch(/node_id="/);
  });
});
