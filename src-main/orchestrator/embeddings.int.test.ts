import { randomUUID } from "node:crypto";
import { Ollama } from "ollama";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpenAiErrorSchema } from "../../src-shared/openai/openai-error.js";
import type { TaskRequestV2Input } from "../../src-shared/tasks/task-request.js";
import { startCompatCluster, type CompatCluster } from "../../test-support/compat-cluster.js";
import { testModelName } from "../../test-support/models.js";
import { followTaskEvents } from "../../test-support/sse-client.js";

// Embeddings served from an embedding context of a pool's model (a real worker running llama.cpp),
// through the unchanged `openai` and `ollama` clients and the native task API.
const TINY = testModelName("tiny");
const DIMENSIONS = 64; // the tiny model's embedding length
let cluster: CompatCluster;
let client: OpenAI;

beforeAll(async () => {
  cluster = await startCompatCluster("node-embeddings", ["tiny"]);
  client = new OpenAI({ baseURL: `${cluster.orch.url}/v1`, apiKey: cluster.orch.token, maxRetries: 0 });
}, 60_000);

afterAll(async () => {
  await cluster?.close();
});

const post = (path: string, body: unknown) => cluster.orch.api(path, { method: "POST", body: JSON.stringify(body) });
const cosine = (a: readonly number[], b: readonly number[]) => a.reduce((s, x, i) => s + x * (b[i] ?? 0), 0) / (Math.hypot(...a) * Math.hypot(...b));

describe("POST /v1/embeddings through the openai client", () => {
  it("one vector per input, in order; the SDK's default base64 decodes to the float answer", async () => {
    const texts = ["the cat sat on the mat", "hello world", "the cat sat on the mat"];
    const res = await client.embeddings.create({ model: TINY, input: texts });
    expect(res.object).toBe("list");
    expect(res.data.map((d) => d.index)).toEqual([0, 1, 2]);
    for (const d of res.data) expect(d.embedding).toHaveLength(DIMENSIONS);
    expect(res.usage.prompt_tokens).toBeGreaterThan(0);
    // Deterministic: the same text, the same vector; another text, another vector.
    expect(cosine(res.data[0]!.embedding, res.data[2]!.embedding)).toBeCloseTo(1, 5);
    expect(cosine(res.data[0]!.embedding, res.data[1]!.embedding)).toBeLessThan(0.9999);
    const floats = await client.embeddings.create({ model: TINY, input: "hello world", encoding_format: "float" });
    const decoded = res.data[1]!.embedding;
    floats.data[0]!.embedding.forEach((x, i) => expect(decoded[i]).toBeCloseTo(x, 4));
    // Unit vectors, as OpenAI's: clients rank by dot product as the cosine (the tiny model's raw vectors have length ≈ 8).
    for (const d of [...res.data, ...floats.data]) expect(Math.hypot(...d.embedding)).toBeCloseTo(1, 4);
  });

  it("refuses dimensions and token-id inputs by name", async () => {
    for (const [param, body] of [["dimensions", { input: "x", dimensions: 8 }], ["input", { input: [1, 2, 3] }]] as const) {
      const res = await post("/v1/embeddings", { model: TINY, ...body });
      expect(res.status).toBe(400);
      expect(OpenAiErrorSchema.parse(await res.json()).error).toMatchObject({ param, message: expect.stringMatching(new RegExp(`^${param} is not supported`)) });
    }
    await expect(client.embeddings.create({ model: TINY, input: "x", dimensions: 8 })).rejects.toMatchObject({ status: 400 });
  });

  it("refuses an empty string by position (its vector had length 0, which no vector store accepts)", async () => {
    await expect(client.embeddings.create({ model: TINY, input: ["a", ""] })).rejects.toMatchObject({ status: 400, param: "input[1]", message: expect.stringContaining("empty string") });
    await expect(client.embeddings.create({ model: TINY, input: "" })).rejects.toMatchObject({ status: 400, param: "input" });
  });
});

describe("workload embedding on /v2/tasks", () => {
  it("canceled part way, the task is booked with the tokens of the inputs embedded so far, not 0 (a client giving up on 2,000 inputs used the pool)", async () => {
    const inputs = Array.from({ length: 2_000 }, (_, i) => `input number ${i}: the cat sat on the mat and looked at the dog`);
    const task: TaskRequestV2Input = { task_id: randomUUID(), session_id: randomUUID(), workload: "embedding", model_ref: TINY, engine: "llamacpp", ctx: 512, priority: "batch", inputs, max_tokens: 1, deadline_ms: 60_000 };
    expect((await post("/v2/tasks", task)).status).toBe(202);
    const stream = followTaskEvents(cluster.orch.url, cluster.orch.token, task.task_id);
    const deadline = Date.now() + 30_000;
    while (stream.events.filter((e) => e.event.event === "embedding").length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect((await post(`/v2/tasks/${task.task_id}/cancel`, {})).status).toBe(204);
    const events = (await stream.done).map((e) => e.event);
    const received = events.flatMap((e) => (e.event === "embedding" ? [e.data.tokens] : []));
    expect(received.length).toBeGreaterThanOrEqual(3);
    expect(received.length).toBeLessThan(inputs.length);
    const status = (await (await cluster.orch.api(`/v2/tasks/${task.task_id}`)).json()) as { state: string; tokens_in: number | null };
    expect(status.state).toBe("canceled");
    expect(status.tokens_in).toBe(received.reduce((a, b) => a + b, 0));
  });

  it("streams one embedding event per input, then end", async () => {
    const task: TaskRequestV2Input = { task_id: randomUUID(), session_id: randomUUID(), workload: "embedding", model_ref: TINY, engine: "llamacpp", ctx: 512, priority: "batch", inputs: ["a b c", "d e f"], max_tokens: 1, deadline_ms: 30_000 };
    const accepted = await post("/v2/tasks", task);
    expect(accepted.status).toBe(202);
    // Late subscribers get the whole stream replayed.
    const stream = followTaskEvents(cluster.orch.url, cluster.orch.token, task.task_id);
    const events = (await stream.done).map((e) => e.event);
    expect(events.map((e) => e.event).filter((n) => n !== "metrics")).toEqual(["started", "embedding", "embedding", "end"]);
    const vectors = events.flatMap((e) => (e.event === "embedding" ? [e.data] : []));
    expect(vectors.map((v) => [v.index, v.embedding.length])).toEqual([[0, DIMENSIONS], [1, DIMENSIONS]]);
    const refused = await post("/v2/tasks", { ...task, task_id: randomUUID(), inputs: undefined, prompt: "x" });
    expect(refused.status).toBe(400);
    const empty = await post("/v2/tasks", { ...task, task_id: randomUUID(), inputs: ["a", ""] });
    expect(empty.status).toBe(400);
    expect(await empty.json()).toMatchObject({ code: "INVALID_PARAMS", message: "body.inputs.1: an empty string: there is nothing to embed" });
  });
});

describe("POST /api/embed through the ollama client", () => {
  it("embeds one or several inputs", async () => {
    const ollama = new Ollama({ host: cluster.orch.url, headers: { Authorization: `Bearer ${cluster.orch.token}` } });
    const res = await ollama.embed({ model: `${TINY}:latest`, input: ["hello world", "the cat"] });
    expect(res.model).toBe(`${TINY}:latest`);
    expect(res.embeddings.map((v) => v.length)).toEqual([DIMENSIONS, DIMENSIONS]);
    for (const v of res.embeddings) expect(Math.hypot(...v)).toBeCloseTo(1, 4);
    expect(res.prompt_eval_count).toBeGreaterThan(0);
    const one = await ollama.embed({ model: TINY, input: "hello world" });
    one.embeddings[0]!.forEach((x, i) => expect(res.embeddings[0]![i]).toBeCloseTo(x, 5));
    // As Ollama: an empty string is no input (no vectors); inside a list it is refused, not a vector of length 0.
    expect((await ollama.embed({ model: TINY, input: "" })).embeddings).toEqual([]);
    expect((await ollama.embed({ model: TINY, input: [] })).embeddings).toEqual([]);
    await expect(ollama.embed({ model: "no-such-model", input: [] })).rejects.toThrow(/not found|no model/i);
    await expect(ollama.embed({ model: TINY, input: ["a", ""] })).rejects.toThrow(/input\[1\] is an empty string/);
  });
});

describe("inputs longer than the embedding context", () => {
  it("/api/embed cuts them to their first tokens as Ollama does (truncate's default); truncate false, /v1/embeddings and inputs at the context's edge are CONTEXT_TOO_LONG, never an internal error", async () => {
    const ollama = new Ollama({ host: cluster.orch.url, headers: { Authorization: `Bearer ${cluster.orch.token}` } });
    const long = "word ".repeat(3000);
    const cut = await ollama.embed({ model: TINY, input: [long, `${long}the cat sat on the mat `.repeat(3)] });
    const limit = cut.prompt_eval_count / 2;
    expect(Number.isInteger(limit) && limit > 0 && limit < 6000).toBe(true);
    // Both keep the same first tokens: the same vector.
    expect(cosine(cut.embeddings[0]!, cut.embeddings[1]!)).toBeCloseTo(1, 5);
    await expect(ollama.embed({ model: TINY, input: long, truncate: false })).rejects.toThrow(/input 0 is \d+ tokens, more than the \d+ an input may have/);
    await expect(client.embeddings.create({ model: TINY, input: long })).rejects.toMatchObject({ status: 400, code: "CONTEXT_TOO_LONG" });
    // Around the limit (node-llama-cpp adds the model's beginning and end tokens): fits or CONTEXT_TOO_LONG.
    const seen = new Set<number>();
    for (let words = Math.floor(limit / 2) - 3; words <= Math.floor(limit / 2) + 3; words++) {
      const res = await post("/v1/embeddings", { model: TINY, input: "word ".repeat(words) });
      seen.add(res.status);
      if (res.status !== 200) expect(OpenAiErrorSchema.parse(await res.json()).error.code, `${words} words`).toBe("CONTEXT_TOO_LONG");
    }
    expect([...seen].sort()).toEqual([200, 400]);
  });
});

describe("POST /api/embeddings (Ollama's older endpoint) through the ollama client", () => {
  it("embeds one prompt, the same vector /api/embed gives; an empty prompt is an empty vector; options are accepted unless load-time", async () => {
    const ollama = new Ollama({ host: cluster.orch.url, headers: { Authorization: `Bearer ${cluster.orch.token}` } });
    const legacy = await ollama.embeddings({ model: TINY, prompt: "hello world" });
    expect(legacy.embedding).toHaveLength(DIMENSIONS);
    const current = await ollama.embed({ model: TINY, input: "hello world" });
    legacy.embedding.forEach((x, i) => expect(current.embeddings[0]![i]).toBeCloseTo(x, 5));
    expect((await ollama.embeddings({ model: TINY, prompt: "" })).embedding).toEqual([]);
    // Ollama takes options here too (LangChain's OllamaEmbeddings sends its requestOptions): they change no vector.
    const withOptions = await ollama.embeddings({ model: TINY, prompt: "hello world", options: { temperature: 0.5, num_ctx: 4096 } });
    withOptions.embedding.forEach((x, i) => expect(legacy.embedding[i]).toBeCloseTo(x, 5));
    const embedOptions = await ollama.embed({ model: TINY, input: "hello world", options: { num_ctx: 2048, seed: 1 } });
    embedOptions.embeddings[0]!.forEach((x, i) => expect(legacy.embedding[i]).toBeCloseTo(x, 5));
    await expect(ollama.embeddings({ model: TINY, prompt: "x", options: { num_gpu: 1 } })).rejects.toThrow(/^options is not supported: .*load-time/);
    await expect(ollama.embed({ model: TINY, input: "x", options: { no_such_option: 1 } as never })).rejects.toThrow(/^options is not supported/);
    await expect(ollama.embeddings({ model: "no-such-model", prompt: "" })).rejects.toThrow(/not found/);
  });
});

describe("POST /v1/rerank (Jina/Cohere shape)", () => {
  it("a model without a ranking head is a 400 that says so, never a made-up score; the pool keeps serving", async () => {
    const res = await post("/v1/rerank", { model: TINY, query: "capital of France", documents: ["Paris is the capital of France.", { text: "Bananas are yellow." }], top_n: 1 });
    expect(res.status).toBe(400);
    const error = OpenAiErrorSchema.parse(await res.json()).error;
    expect(error).toMatchObject({ code: "INVALID_PARAMS", type: "invalid_request_error" });
    // Refused at admission from the workloads the worker reported (model-workloads.ts), before any placement.
    expect(error.message).toMatch(/^model .+ serves completion, embedding, not rerank: it has no ranking head \(no cls\.\* classification tensor\)/);
    // The same pool still embeds: the refusal was the task's, not the pool's.
    expect((await client.embeddings.create({ model: TINY, input: "still here" })).data).toHaveLength(1);
  });

  it("refuses what it cannot honour by name, and a bad body with a 400", async () => {
    const fields = await post("/v1/rerank", { model: TINY, query: "q", documents: ["a"], rank_fields: ["title"] });
    expect(OpenAiErrorSchema.parse(await fields.json()).error).toMatchObject({ param: "rank_fields", message: expect.stringMatching(/^rank_fields is not supported/) });
    const empty = await post("/v1/rerank", { model: TINY, query: "q", documents: [] });
    expect(empty.status).toBe(400);
  });
});
