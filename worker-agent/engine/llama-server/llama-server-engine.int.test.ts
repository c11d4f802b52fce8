// A pool with engine "llama-server" served end to end: orchestrator → worker agent → a supervised
// llama-server built from node-llama-cpp's llama.cpp source. Skipped, with the reason printed, when
// no binary is built (LLORCH_LLAMA_SERVER, or ~/.cache/llama-orch-ci/llama-server-<version>/llama-server
// from `llama-orch-worker engine build --out <that folder>`).
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { readGgufFileInfo } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { NodeListResponseSchema } from "../../../src-shared/nodes/node-info.js";
import { PoolDiagnosticsSchema } from "../../../src-shared/worker-api/pool-diagnostics.js";
import { taskRequest } from "../../../test-support/fixtures.js";
import { testModelName, testModelPath } from "../../../test-support/models.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../../test-support/orchestrator-harness.js";
import { followTaskEvents, terminal } from "../../../test-support/sse-client.js";
import { getJson, killAllWorkers, startWorker, streamInfer, type StartedWorker } from "../../../test-support/worker-agent-process.js";
import { waitFor } from "../../../test-support/wait-for.js";
import { findLlamaCppSource } from "./llama-server-source.js";

const source = await findLlamaCppSource();
const BINARY = process.env.LLORCH_LLAMA_SERVER ?? join(homedir(), ".cache", "llama-orch-ci", `llama-server-${source.version}`, "llama-server");
const HAVE_BINARY = existsSync(BINARY);
if (!HAVE_BINARY) console.warn(`llama-server engine tests skipped: no binary at ${BINARY} (build one with \`node dist/worker-agent/cli.js engine build --out ${join(BINARY, "..")}\` or set LLORCH_LLAMA_SERVER)`);

const MODEL = testModelName("tiny-chatml");
const POOL = "ls";
const FIM_POOL = "ls-fim";
const FIM_DEFAULT_POOL = "default-fim";
let orch: TestOrchestrator;
let worker: StartedWorker;

const diagnostics = async () => PoolDiagnosticsSchema.parse((await getJson(`${worker.url}/v2/pools/${POOL}/diagnostics`)).body);
const submit = (over: Parameters<typeof taskRequest>[1]) => {
  const body = taskRequest(MODEL, { prompt: "Hello world, the cat sat on the mat.", max_tokens: 12, temperature: 0, deadline_ms: 60_000, ...over });
  return { body, response: orch.api("/v2/tasks", { method: "POST", body: JSON.stringify(body) }) };
};

describe.skipIf(!HAVE_BINARY)("llama-server engine through the orchestrator", () => {
  beforeAll(async () => {
    orch = await startTestOrchestrator({ pool_probe_interval_ms: 500 });
    worker = await startWorker({
      models: { "tiny-chatml.gguf": testModelPath("tiny-chatml"), "tiny-fim.gguf": testModelPath("tiny-fim") },
      config: {
        node_id: "ls-node",
        orchestrator_url: orch.url,
        heartbeat_interval_secs: 0.5,
        llama_server_path: BINARY,
        supervisor: { initial_backoff_ms: 100, jitter: 0 },
        pools: [
          { id: POOL, model: "tiny-chatml.gguf", device: "cpu", slots: 2, context_size: 512, engine: "llama-server" },
          // Fill in the middle, on llama-server and on the default engine for comparison.
          { id: FIM_POOL, model: "tiny-fim.gguf", device: "cpu", slots: 1, context_size: 512, engine: "llama-server" },
          { id: FIM_DEFAULT_POOL, model: "tiny-fim.gguf", device: "cpu", slots: 1, context_size: 512 },
        ],
      },
    });
    await waitFor("the llama-server pool ready in the orchestrator", async () => {
      const nodes = NodeListResponseSchema.parse(await (await orch.api("/v2/nodes")).json()).nodes;
      return nodes.some((n) => n.status === "Online" && [POOL, FIM_POOL, FIM_DEFAULT_POOL].every((id) => n.pools.some((p) => p.pool_id === id && p.ready)));
    }, 60_000);
  }, 90_000);

  afterAll(async () => {
    await killAllWorkers();
    await orch?.close();
  });

  it("reports its engine and runs a llama-server child", async () => {
    const nodes = NodeListResponseSchema.parse(await (await orch.api("/v2/nodes")).json()).nodes;
    const pool = nodes.flatMap((n) => n.pools).find((p) => p.pool_id === POOL);
    expect(pool?.engine).toBe("llama-server");
    expect(pool?.engine_version).toMatch(/llama-server/);
    expect(pool?.slots_total).toBe(2);
    expect((await diagnostics()).engine_pid).toBeGreaterThan(0);
  });

  it("streams a completion: started → token* → end with usage and finish reason", async () => {
    const { body, response } = submit({ max_tokens: 12 });
    expect((await response).status).toBe(202);
    const events = (await followTaskEvents(orch.url, orch.token, body.task_id).done).map((e) => e.event);
    expect(events[0]?.event).toBe("started");
    const tokens = events.filter((e) => e.event === "token");
    expect(tokens.length).toBeGreaterThan(0);
    const end = events.at(-1);
    expect(end?.event).toBe("end");
    if (end?.event !== "end") return;
    expect(end.data.tokens_out).toBe(tokens.length);
    expect(end.data.tokens_in).toBeGreaterThan(5);
    expect(["max_tokens", "eos"]).toContain(end.data.stop_reason);
  });

  it("serves format and logprobs through the orchestrator (/v2/tasks)", async () => {
    const schema = { type: "object", properties: { n: { type: "integer", minimum: 1 } }, required: ["n"] };
    const { body, response } = submit({ max_tokens: 60, format: { type: "json_schema", schema }, logprobs: 2 });
    expect((await response).status).toBe(202);
    const events = (await followTaskEvents(orch.url, orch.token, body.task_id).done).map((e) => e.event);
    expect(events.at(-1)).toMatchObject({ event: "end", data: { stop_reason: "stop" } });
    const tokens = events.flatMap((e) => (e.event === "token" ? [e.data] : []));
    const text = tokens.map((t) => t.t).join("");
    expect(z.object({ n: z.int().min(1) }).strict().parse(JSON.parse(text))).toBeDefined();
    expect(tokens.flatMap((t) => t.logprobs ?? []).map((l) => l.token).join("")).toBe(text);
  });

  it("renders chat messages with the model's template", async () => {
    const { body, response } = submit({ prompt: undefined, messages: [{ role: "user", content: "Say hi" }], max_tokens: 8 });
    expect((await response).status).toBe(202);
    const events = (await followTaskEvents(orch.url, orch.token, body.task_id).done).map((e) => e.event);
    const end = events.at(-1);
    expect(end?.event).toBe("end");
    // chatml wraps the turn in <|im_start|>user … <|im_end|> <|im_start|>assistant: more tokens than the text.
    if (end?.event === "end") expect(end.data.tokens_in).toBeGreaterThan(6);
  });

  it("cancels a running stream (end canceled, nothing after) and frees the slot", async () => {
    const { body, response } = submit({ max_tokens: 400 });
    expect((await response).status).toBe(202);
    const stream = followTaskEvents(orch.url, orch.token, body.task_id);
    await stream.tokens(2);
    expect((await orch.api(`/v2/tasks/${body.task_id}/cancel`, { method: "POST" })).status).toBe(204);
    const events = await stream.done;
    expect(terminal(events)).toMatchObject({ event: "end", data: { canceled: true } });
    const endIndex = events.findIndex((e) => e.event.event === "end");
    expect(events.slice(endIndex + 1)).toEqual([]);
    await waitFor("both slots free", async () => (await diagnostics()).slots_busy === 0, 10_000);
  });

  it("counts tokens_in as llama-server's /tokenize does, for a prompt sent as text and for one measured first (fill_context clamped)", async () => {
    // The pool's llama-server, asked directly: its port is on its command line.
    const args = readFileSync(`/proc/${(await diagnostics()).engine_pid}/cmdline`, "utf8").split("\0");
    const tokenize = async (content: string) => ((await (await fetch(`http://127.0.0.1:${args[args.indexOf("--port") + 1]}/tokenize`, { method: "POST", body: JSON.stringify({ content, add_special: true, parse_special: true }) })).json()) as { tokens: number[] }).tokens.length;
    const short = "Hello world, the cat sat on the mat.";
    const fits = await streamInfer(worker.url, POOL, { task_id: "fits", prompt: short, max_tokens: 4, temperature: 0 });
    expect(fits.events.at(-1)?.event).toMatchObject({ event: "end", data: { tokens_in: await tokenize(short) } });
    // max_tokens 600 cannot fit the 512-token slot: the prompt is measured first and the output clamped.
    const long = "the cat sat on the mat ".repeat(13);
    const n = await tokenize(long);
    const filled = await streamInfer(worker.url, POOL, { task_id: "filled", prompt: long, max_tokens: 600, fill_context: true, temperature: 0 });
    const end = filled.events.at(-1)?.event;
    expect(end).toMatchObject({ event: "end", data: { tokens_in: n } });
    if (end?.event === "end") expect(end.data.tokens_out).toBeLessThanOrEqual(512 - n);
    // count_only measures and generates nothing, even for a prompt longer than a slot.
    const huge = long.repeat(4);
    const counted = await streamInfer(worker.url, POOL, { task_id: "count", prompt: huge, max_tokens: 16, count_only: true });
    expect(counted.events.map((e) => e.event.event)).toEqual(["started", "end"]);
    expect(counted.events.at(-1)?.event).toMatchObject({ event: "end", data: { tokens_in: await tokenize(huge), tokens_out: 0 } });
  });

  it("refuses a prompt longer than a slot's context with CONTEXT_TOO_LONG, and what it cannot translate with INVALID_PARAMS", async () => {
    const long = await streamInfer(worker.url, POOL, { task_id: "too-long", prompt: "the cat sat on the mat ".repeat(200), max_tokens: 16 });
    expect(long.events.at(-1)?.event).toMatchObject({ event: "error", data: { code: "CONTEXT_TOO_LONG" } });
    const tools = await streamInfer(worker.url, POOL, { task_id: "tools", messages: [{ role: "user", content: "hi" }], max_tokens: 4, tools: [{ name: "f", parameters: { type: "object", properties: {} } }] });
    expect(tools.events.at(-1)?.event).toMatchObject({ event: "error", data: { code: "INVALID_PARAMS", message: expect.stringContaining("tools") } });
  });

  const streamedText = (events: Awaited<ReturnType<typeof streamInfer>>["events"]): string => events.map((e) => (e.event.event === "token" ? e.event.data.t : "")).join("");

  it("constrains the output to a JSON schema, sign-bounded integers included, as the default engine's grammar does", async () => {
    const schema = {
      type: "object",
      properties: { n: { type: "integer", minimum: 1 }, neg: { type: "integer", exclusiveMaximum: 0 }, zero_up: { type: "integer", minimum: 0 }, tag: { enum: ["a", "b"] }, ok: { type: "boolean" } },
      required: ["n", "neg", "zero_up", "tag", "ok"],
    };
    for (const seed of [1, 2, 3]) {
      const result = await streamInfer(worker.url, POOL, { task_id: `schema-${seed}`, prompt: "Answer in JSON:", max_tokens: 200, temperature: 1, seed, format: { type: "json_schema", schema } });
      const end = result.events.at(-1)?.event;
      expect(end, JSON.stringify(end)).toMatchObject({ event: "end", data: { stop_reason: "stop" } });
      const value = z.object({ n: z.int().min(1), neg: z.int().max(-1), zero_up: z.int().min(0), tag: z.enum(["a", "b"]), ok: z.boolean() }).strict().parse(JSON.parse(streamedText(result.events)));
      expect(Number.isSafeInteger(value.n)).toBe(true);
    }
    const json = await streamInfer(worker.url, POOL, { task_id: "json", prompt: "Answer in JSON:", max_tokens: 200, temperature: 0, format: { type: "json" } });
    expect(json.events.at(-1)?.event.event).toBe("end");
    // json.gbnf's root is an object: whatever the model wrote so far opens one.
    expect(streamedText(json.events).trimStart().startsWith("{")).toBe(true);
    // A -100 bias on what the grammar requires next ('"', '{') still leaves it a token: added, not -infinity.
    const info = await readGgufFileInfo(testModelPath("tiny-chatml"), { readTensorInfo: false, logWarnings: false });
    const banned = Object.fromEntries(['"', "<0x22>", "<0x7B>"].map((piece) => info.metadata.tokenizer.ggml.tokens.indexOf(piece)).filter((id) => id >= 0).map((id) => [String(id), -100]));
    const biased = await streamInfer(worker.url, POOL, { task_id: "schema-banned", prompt: "Answer in JSON:", max_tokens: 200, temperature: 0, logit_bias: banned, format: { type: "json_schema", schema } });
    expect(biased.events.at(-1)?.event, JSON.stringify(biased.events.at(-1)?.event)).toMatchObject({ event: "end" });
    expect(() => JSON.parse(streamedText(biased.events)) as unknown).not.toThrow();
    const refused = await streamInfer(worker.url, POOL, { task_id: "schema-refused", prompt: "hi", max_tokens: 4, format: { type: "json_schema", schema: { type: "string", pattern: "a+" } } });
    expect(refused.events.at(-1)?.event).toMatchObject({ event: "error", data: { code: "INVALID_PARAMS", message: expect.stringContaining("pattern") } });
  });

  it("reports logprobs as the default engine does: entries concatenate to the text, natural logs, top alternatives most likely first", async () => {
    for (const [temperature, top] of [[0, 3], [1, 2], [0, 0]] as const) {
      const result = await streamInfer(worker.url, POOL, { task_id: `logprobs-${temperature}-${top}`, prompt: "Once upon", max_tokens: 8, temperature, seed: 7, logprobs: top });
      expect(result.events.at(-1)?.event.event).toBe("end");
      const tokens = result.events.flatMap((e) => (e.event.event === "token" ? [e.event.data] : []));
      expect(tokens.length).toBeGreaterThan(0);
      for (const token of tokens) expect(token.logprobs?.map((l) => l.token).join(""), JSON.stringify(token)).toBe(token.t);
      const entries = tokens.flatMap((t) => t.logprobs ?? []);
      for (const e of entries) {
        expect(e.logprob).toBeLessThanOrEqual(0);
        expect(e.bytes).toEqual([...Buffer.from(e.token, "utf8")]);
        expect(e.top_logprobs.length).toBeLessThanOrEqual(top);
        const alternatives = e.top_logprobs.map((a) => a.logprob);
        expect(alternatives).toEqual([...alternatives].sort((a, b) => b - a));
        // Greedy: the chosen token is the most likely one, out of the whole distribution (not probability 1).
        if (temperature === 0 && top > 0) {
          expect(e.top_logprobs.length).toBe(top);
          expect(e.top_logprobs[0]).toEqual({ token: e.token, logprob: e.logprob, bytes: e.bytes });
          expect(e.logprob).toBeLessThan(0);
        }
      }
      if (top === 0) expect(entries.every((e) => e.top_logprobs.length === 0)).toBe(true);
    }
  });

  it("fills in the middle as the default engine does (same framed prompt, same tokens_in), measured against the context, and refuses a model without FIM tokens", async () => {
    const request = { prompt: "def add(a, b):\n    return ", suffix: "\n\nprint(add(1, 2))\n", max_tokens: 8, temperature: 0 };
    const served = await streamInfer(worker.url, FIM_POOL, { task_id: "fim", ...request });
    const reference = await streamInfer(worker.url, FIM_DEFAULT_POOL, { task_id: "fim-default", ...request });
    const end = served.events.at(-1)?.event;
    expect(end, JSON.stringify(end)).toMatchObject({ event: "end" });
    const referenceEnd = reference.events.at(-1)?.event;
    expect(referenceEnd?.event).toBe("end");
    if (end?.event !== "end" || referenceEnd?.event !== "end") return;
    expect(end.data.tokens_in).toBe(referenceEnd.data.tokens_in);
    expect(streamedText(served.events)).toBe(streamedText(reference.events));
    // Plain completion of the same prompt is a smaller input (no framing, no suffix).
    const plain = await streamInfer(worker.url, FIM_POOL, { task_id: "fim-plain", prompt: request.prompt, max_tokens: 8, temperature: 0 });
    const plainEnd = plain.events.at(-1)?.event;
    expect(plainEnd?.event).toBe("end");
    if (plainEnd?.event === "end") expect(plainEnd.data.tokens_in).toBeLessThan(end.data.tokens_in ?? 0);
    // A suffix the slot cannot hold is CONTEXT_TOO_LONG, not cut: the framed prompt is measured first.
    const long = await streamInfer(worker.url, FIM_POOL, { task_id: "fim-long", prompt: "x = 1\n", suffix: "the cat sat on the mat ".repeat(200), max_tokens: 8 });
    expect(long.events.at(-1)?.event).toMatchObject({ event: "error", data: { code: "CONTEXT_TOO_LONG" } });
    const noFim = await streamInfer(worker.url, POOL, { task_id: "no-fim", prompt: "a", suffix: "b", max_tokens: 4 });
    expect(noFim.events.at(-1)?.event).toMatchObject({ event: "error", data: { code: "INVALID_PARAMS", message: expect.stringContaining("no fill-in-the-middle tokens") } });
  });

  it("constrained output equals the default engine's on the same model (greedy, same grammar)", async () => {
    const schema = { type: "object", properties: { n: { type: "integer", minimum: 0 }, word: { type: "string", maxLength: 12 } }, required: ["n", "word"] };
    for (const format of [{ type: "json_schema", schema }, { type: "json" }]) {
      const request = { prompt: "Answer in JSON:", max_tokens: 48, temperature: 0, format };
      const served = await streamInfer(worker.url, FIM_POOL, { task_id: `parity-ls-${format.type}`, ...request });
      const reference = await streamInfer(worker.url, FIM_DEFAULT_POOL, { task_id: `parity-default-${format.type}`, ...request });
      expect(served.events.at(-1)?.event.event).toBe("end");
      expect(reference.events.at(-1)?.event.event).toBe("end");
      expect(JSON.stringify(streamedText(served.events))).toBe(JSON.stringify(streamedText(reference.events)));
    }
  });

  it("logprobs match the default engine's on the same model (greedy and sampled: same tokens and alternatives, log probabilities within float noise)", async () => {
    // The two builds' matrix kernels differ (llama-server's is compiled for this CPU with OpenMP), so
    // logits differ slightly; a mapping error (probabilities instead of logs, post-sampling at greedy,
    // another distribution) is off by far more than 0.1.
    const NOISE = 0.1;
    for (const [temperature, top] of [[0, 3], [0.8, 4]] as const) {
      const request = { prompt: "Once upon a time", max_tokens: 6, temperature, seed: 11, top_k: 20, logprobs: top };
      const entries = async (pool: string) => {
        const result = await streamInfer(worker.url, pool, { task_id: `lp-${pool}-${temperature}`, ...request });
        expect(result.events.at(-1)?.event.event).toBe("end");
        return result.events.flatMap((e) => (e.event.event === "token" ? (e.event.data.logprobs ?? []) : []));
      };
      const served = await entries(FIM_POOL);
      const reference = await entries(FIM_DEFAULT_POOL);
      expect(served.map((e) => e.token)).toEqual(reference.map((e) => e.token));
      for (const [i, e] of served.entries()) {
        const other = reference[i];
        expect(e.top_logprobs.length, `${temperature}: ${i}`).toBe(other?.top_logprobs.length);
        expect(Math.abs(e.logprob - (other?.logprob ?? Number.NaN)), `${temperature}: ${i}`).toBeLessThan(NOISE);
        // Near ties may swap places between the builds; the best alternative's log probability may not differ.
        expect(Math.abs((e.top_logprobs[0]?.logprob ?? 0) - (other?.top_logprobs[0]?.logprob ?? Number.NaN))).toBeLessThan(NOISE);
      }
    }
  });

  it("honours the penalties, min_p and logit_bias, and refuses a bias on an id beyond the vocabulary or on the end token", async () => {
    const text = async (task_id: string, extra: Record<string, unknown>): Promise<string> => {
      const result = await streamInfer(worker.url, POOL, { task_id, prompt: "The cat", max_tokens: 12, temperature: 0, ...extra });
      expect(result.events.at(-1)?.event.event, `${task_id}: ${JSON.stringify(result.events.at(-1)?.event)}`).toBe("end");
      return result.events.map((e) => (e.event.event === "token" ? e.event.data.t : "")).join("");
    };
    const plain = await text("plain", {});
    expect(await text("freq", { frequency_penalty: 2, repeat_last_n: -1 })).not.toBe(plain);
    expect(await text("repeat-off", { repeat_penalty: 5, repeat_last_n: 0 })).toBe(plain);
    const forced = await text("forced", { logit_bias: { "100": 100 } });
    expect(forced).toBe(forced.slice(0, forced.length / 12).repeat(12));
    const other = await text("other", { logit_bias: { "101": 100 } });
    expect(await text("banned", { logit_bias: { "100": -100, "101": 100 } })).toBe(other);
    const info = await readGgufFileInfo(testModelPath("tiny-chatml"), { readTensorInfo: false, logWarnings: false });
    const beyond = await streamInfer(worker.url, POOL, { task_id: "beyond", prompt: "hi", max_tokens: 2, logit_bias: { [String(info.metadata.tokenizer.ggml.tokens.length)]: 1 } });
    expect(beyond.events.at(-1)?.event).toMatchObject({ event: "error", data: { code: "INVALID_PARAMS", message: expect.stringContaining("outside the model's vocabulary") } });
    const eos = await streamInfer(worker.url, POOL, { task_id: "eos", prompt: "hi", max_tokens: 2, logit_bias: { [String(info.metadata.tokenizer.ggml.eos_token_id)]: -100 } });
    expect(eos.events.at(-1)?.event).toMatchObject({ event: "error", data: { code: "INVALID_PARAMS", message: expect.stringContaining("end-of-generation") } });
  });

  it("restarts llama-server after it is killed and serves again", async () => {
    const before = await diagnostics();
    const pid = before.engine_pid;
    expect(pid).not.toBeNull();
    process.kill(pid as number, "SIGKILL");
    const after = await waitFor(diagnostics, (d) => d.state === "ready" && d.engine_pid !== null && d.engine_pid !== pid, 60_000);
    expect(after.restarts).toBe(before.restarts + 1);
    // Once the orchestrator has seen the restarted pool ready, the task runs on the new server at once
    // (earlier it would wait in the queue for it: task-rescue.int.test.ts).
    await waitFor("the restarted pool ready in the orchestrator", async () => {
      const nodes = NodeListResponseSchema.parse(await (await orch.api("/v2/nodes")).json()).nodes;
      return nodes.some((n) => n.status === "Online" && n.pools.some((p) => p.pool_id === POOL && p.ready));
    }, 30_000);
    const { body, response } = submit({ max_tokens: 4 });
    expect((await response).status).toBe(202);
    const events = await followTaskEvents(orch.url, orch.token, body.task_id).done;
    expect(terminal(events)?.event).toBe("end");
  });
});
