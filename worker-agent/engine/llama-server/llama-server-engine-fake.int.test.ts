// LlamaServerEngine against test-support/fake-llama-server.mjs (a real process and real HTTP with
// llama-server's endpoints): load → loaded, infer → token* + done, cancel, CONTEXT_TOO_LONG, refused
// fields, a server dying while loading, a missing binary and a crash after load. The real llama-server
// runs in llama-server-engine.int.test.ts when one is built.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import type { EngineToParentMessage } from "../engine-ipc.js";
import type { EngineExit } from "../engine-process.js";
import { testModelPath } from "../../../test-support/models.js";
import { waitFor } from "../../../test-support/wait-for.js";
import { LlamaServerEngine } from "./llama-server-engine.js";

const FAKE = fileURLToPath(new URL("../../../test-support/fake-llama-server.mjs", import.meta.url));
// The fake reads no model; the engine reads its GGUF header (the tokenizer: whether short prompts skip /tokenize).
const MODEL = testModelPath("tiny");
const engines: LlamaServerEngine[] = [];

function start(env: NodeJS.ProcessEnv = process.env, binary = FAKE, model = MODEL): { engine: LlamaServerEngine; messages: EngineToParentMessage[]; exits: EngineExit[] } {
  const engine = new LlamaServerEngine({ binary: () => Promise.resolve(binary), env });
  engines.push(engine);
  const messages: EngineToParentMessage[] = [];
  const exits: EngineExit[] = [];
  engine.on("message", (m) => messages.push(m));
  engine.on("exit", (e) => exits.push(e));
  engine.send({ type: "load", model_path: model, slots: 2, threads: 1, device: "cpu", context_size: 64 });
  return { engine, messages, exits };
}

const find = <T extends EngineToParentMessage["type"]>(messages: EngineToParentMessage[], type: T, taskId?: string) =>
  messages.find((m): m is Extract<EngineToParentMessage, { type: T }> => m.type === type && (taskId === undefined || !("task_id" in m) || m.task_id === taskId));

afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.stop(1000)));
});

describe("LlamaServerEngine (fake llama-server)", () => {
  it("loads, reports slots and per-slot context, streams tokens and ends with done", async () => {
    const { engine, messages } = start();
    const loaded = await waitFor("loaded", () => find(messages, "loaded"), 20_000);
    expect(loaded).toMatchObject({ slots: 2, context_size: 64, backend: "cpu", engine_version: "llama.cpp b0-fake (llama-server)" });
    expect(engine.pid).toBeGreaterThan(0);
    engine.send({ type: "infer", task_id: "a", prompt: "the cat sat", max_tokens: 5 });
    const done = await waitFor("done", () => find(messages, "done", "a"), 10_000);
    const tokens = messages.filter((m) => m.type === "token" && m.task_id === "a");
    expect(tokens.map((t) => (t.type === "token" ? [t.i, t.t] : []))).toEqual([0, 1, 2, 3, 4].map((i) => [i, `w${i} `]));
    expect(done).toMatchObject({ tokens_out: 5, tokens_in: 4, stop_reason: "max_tokens" });
  });

  it("kill() ends llama-server itself (not only its guard) and reports the exit", async () => {
    const { engine, messages, exits } = start();
    await waitFor("loaded", () => find(messages, "loaded"), 20_000);
    const pid = engine.pid as number;
    expect(readFileSync(`/proc/${pid}/cmdline`, "utf8")).toContain("fake-llama-server");
    engine.kill();
    await waitFor("exit", () => exits[0], 10_000);
    await waitFor("llama-server gone", () => !existsSync(`/proc/${pid}`) || /\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8")) || undefined, 10_000);
  });

  it("renders chats through /apply-template before measuring them", async () => {
    const { engine, messages } = start();
    await waitFor("loaded", () => find(messages, "loaded"), 20_000);
    engine.send({ type: "infer", task_id: "c", messages: [{ role: "user", content: "hi there" }], max_tokens: 2 });
    // "<|user|> hi there <|assistant|>" is 4 words + BOS.
    expect(await waitFor("done", () => find(messages, "done", "c"), 10_000)).toMatchObject({ tokens_in: 5 });
  });

  it("sends a prompt that surely fits straight to /completion, and measures one that might not with /tokenize (fill_context clamped)", async () => {
    const log = join(mkdtempSync(join(tmpdir(), "fake-ls-")), "requests.log");
    const { engine, messages } = start({ ...process.env, FAKE_LLAMA_SERVER_LOG: log });
    await waitFor("loaded", () => find(messages, "loaded"), 20_000);
    const calls = () => readFileSync(log, "utf8").split("\n").filter((l) => l === "/tokenize" || l === "/completion");
    writeFileSync(log, "");
    engine.send({ type: "infer", task_id: "short", prompt: "the cat sat", max_tokens: 3 });
    // tokens_in is llama-server's own count (its last chunk), not measured beforehand.
    expect(await waitFor("done", () => find(messages, "done", "short"), 10_000)).toMatchObject({ tokens_out: 3, tokens_in: 4, stop_reason: "max_tokens" });
    expect(find(messages, "done", "short")).not.toHaveProperty("context_full");
    expect(calls()).toEqual(["/completion"]);
    writeFileSync(log, "");
    // 12 words + BOS = 13 tokens; 60 bytes could be up to 64 tokens, so it is measured: 64 - 13 = 51 left.
    engine.send({ type: "infer", task_id: "fill", prompt: "word ".repeat(12), max_tokens: 60, fill_context: true });
    // The ceiling was cut to what the context left: the end says the context was full, not max_tokens.
    expect(await waitFor("done", () => find(messages, "done", "fill"), 10_000)).toMatchObject({ tokens_out: 51, tokens_in: 13, stop_reason: "max_tokens", context_full: true });
    expect(calls()).toEqual(["/tokenize", "/completion"]);
  });

  it("sends the default engine's truncation samplers when a request names none, and the request's own when it does", async () => {
    const bodies = join(mkdtempSync(join(tmpdir(), "fake-ls-")), "bodies.jsonl");
    const { engine, messages } = start({ ...process.env, FAKE_LLAMA_SERVER_BODIES: bodies });
    await waitFor("loaded", () => find(messages, "loaded"), 20_000);
    engine.send({ type: "infer", task_id: "plain", prompt: "the cat sat", max_tokens: 2, temperature: 0.7 });
    await waitFor("done", () => find(messages, "done", "plain"), 10_000);
    engine.send({ type: "infer", task_id: "asked", prompt: "the cat sat", max_tokens: 2, temperature: 0.7, top_k: 5, top_p: 0.5, min_p: 0.2 });
    await waitFor("done", () => find(messages, "done", "asked"), 10_000);
    const sent = readFileSync(bodies, "utf8").trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    // llama-server's own min_p default is 0.05: left to it, the same request would sample differently per engine.
    expect(sent.map((b) => [b.top_k, b.top_p, b.min_p])).toEqual([
      [40, 0.95, 0],
      [5, 0.5, 0.2],
    ]);
  });

  it("measures every prompt with /tokenize when the model's tokenizer has no byte bound (BERT's WordPiece here)", async () => {
    const log = join(mkdtempSync(join(tmpdir(), "fake-ls-")), "requests.log");
    const { engine, messages } = start({ ...process.env, FAKE_LLAMA_SERVER_LOG: log }, FAKE, testModelPath("tiny-reranker"));
    await waitFor("loaded", () => find(messages, "loaded"), 20_000);
    writeFileSync(log, "");
    engine.send({ type: "infer", task_id: "short", prompt: "the cat sat", max_tokens: 3 });
    expect(await waitFor("done", () => find(messages, "done", "short"), 10_000)).toMatchObject({ tokens_out: 3, tokens_in: 4 });
    expect(readFileSync(log, "utf8").split("\n").filter((l) => l === "/tokenize" || l === "/completion")).toEqual(["/tokenize", "/completion"]);
  });

  it("cancels a running stream with done canceled and no token after it", async () => {
    const { engine, messages } = start();
    await waitFor("loaded", () => find(messages, "loaded"), 20_000);
    engine.send({ type: "infer", task_id: "long", prompt: "go", max_tokens: 50 });
    await waitFor("two tokens", () => messages.filter((m) => m.type === "token").length >= 2, 10_000);
    engine.send({ type: "abort", task_id: "long" });
    const done = await waitFor("done", () => find(messages, "done", "long"), 10_000);
    expect(done.stop_reason).toBe("canceled");
    expect(messages.at(-1)).toBe(done);
    expect(done.tokens_out).toBeLessThan(50);
  });

  it("fails CONTEXT_TOO_LONG before streaming, and refuses what it does not translate", async () => {
    const { engine, messages } = start();
    await waitFor("loaded", () => find(messages, "loaded"), 20_000);
    engine.send({ type: "infer", task_id: "big", prompt: "word ".repeat(60), max_tokens: 10 });
    engine.send({ type: "infer", task_id: "emb", inputs: ["x"], max_tokens: 1 });
    engine.send({ type: "infer", task_id: "tools", messages: [{ role: "user", content: "x" }], tools: [{ name: "f", parameters: { type: "object" } }], max_tokens: 4 });
    expect(await waitFor("big failed", () => find(messages, "task_failed", "big"), 10_000)).toMatchObject({ code: "CONTEXT_TOO_LONG" });
    expect(await waitFor("emb failed", () => find(messages, "task_failed", "emb"), 10_000)).toMatchObject({ code: "INVALID_PARAMS" });
    expect(await waitFor("tools failed", () => find(messages, "task_failed", "tools"), 10_000)).toMatchObject({ code: "INVALID_PARAMS" });
    expect(messages.some((m) => m.type === "token")).toBe(false);
  });

  it("a server that dies while loading is a load failure carrying its last output", async () => {
    const { messages, exits } = start({ ...process.env, FAKE_LLAMA_SERVER_FAIL: "1" });
    const failed = await waitFor("load_failed", () => find(messages, "load_failed"), 20_000);
    expect(failed.message).toMatch(/exited \(code 1\) while loading: error: failed to load model/);
    await waitFor("exit", () => exits[0], 10_000);
  });

  it("a missing binary is a load failure that says how to build one", async () => {
    const { messages } = start(process.env, "/nonexistent/llama-server");
    const failed = await waitFor("load_failed", () => find(messages, "load_failed"), 10_000);
    expect(failed.message).toMatch(/engine build/);
  });

  it("reports the exit of a server killed after loading", async () => {
    const { engine, messages, exits } = start();
    await waitFor("loaded", () => find(messages, "loaded"), 20_000);
    process.kill(engine.pid as number, "SIGKILL");
    expect(await waitFor("exit", () => exits[0], 10_000)).toEqual({ code: null, signal: "SIGKILL" });
    expect(engine.alive).toBe(false);
    expect(engine.send({ type: "infer", task_id: "late", prompt: "x", max_tokens: 1 })).toBe(false);
  });
});
