import { randomUUID } from "node:crypto";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorEnvelopeSchema } from "../../src-shared/errors/error-envelope.js";
import { CapabilitiesResponseSchema } from "../../src-shared/meta/capabilities.js";
import { OpenAiErrorSchema } from "../../src-shared/openai/openai-error.js";
import { OpenAiModelListSchema, OpenAiModelSchema } from "../../src-shared/openai/openai-models.js";
import { RerankResponseSchema } from "../../src-shared/rerank/rerank.js";
import type { TaskRequestV2Input } from "../../src-shared/tasks/task-request.js";
import { startCompatCluster, type CompatCluster } from "../../test-support/compat-cluster.js";
import { getTestLlama } from "../../test-support/llama.js";
import { testModelName, testModelPath } from "../../test-support/models.js";
import { followTaskEvents } from "../../test-support/sse-client.js";
import { getJson, streamInfer, terminalEvent } from "../../test-support/worker-agent-process.js";
import type { ModelInventoryResponse } from "../../src-shared/worker-api/model-transfer.js";

// Reranking on a real worker serving the generated BERT reranker (pooling rank, cls head): /v1/rerank and
// workload rerank on /v2/tasks score with llama.cpp's ranking head; the reranker is marked and refused
// for what it cannot do, and a generative model is refused for ranking.
const RERANKER = testModelName("tiny-reranker");
const TINY = testModelName("tiny");
const QUERY = "what is the capital of france";
const DOCS = ["the cat sat on the mat", "paris is the capital of france", "fish swim in water", "hello world", "the red sun and the blue moon"];
let cluster: CompatCluster;
/** The scores llama.cpp gives each document, computed in this process with the same model: the oracle for indices. */
let expected: number[];

beforeAll(async () => {
  cluster = await startCompatCluster("node-rerank", ["tiny-reranker", "tiny"]);
  const llama = await getTestLlama();
  const model = await llama.loadModel({ modelPath: testModelPath("tiny-reranker") });
  const context = await model.createRankingContext({ contextSize: 512, threads: 1 });
  expected = await context.rankAll(QUERY, DOCS);
  await context.dispose();
  await model.dispose();
}, 90_000);

afterAll(async () => {
  await cluster?.close();
});

const post = (path: string, body: unknown) => cluster.orch.api(path, { method: "POST", body: JSON.stringify(body) });

async function rerank(body: Record<string, unknown>) {
  const res = await post("/v1/rerank", { model: RERANKER, query: QUERY, documents: DOCS, ...body });
  expect(res.status).toBe(200);
  return RerankResponseSchema.parse(await res.json());
}

describe("POST /v1/rerank on a reranker", () => {
  it("returns every document once, most relevant first, each with llama.cpp's score for that index", async () => {
    const res = await rerank({});
    expect(res.model).toBe(RERANKER);
    expect(res.results.map((r) => r.index).sort()).toEqual([0, 1, 2, 3, 4]);
    const scores = res.results.map((r) => r.relevance_score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    for (const r of res.results) {
      expect(r.relevance_score).toBeCloseTo(expected[r.index] ?? -1, 5);
      expect(r.document).toEqual({ text: DOCS[r.index] });
    }
    // The oracle's order is the answer's order (the scores are distinct).
    expect(res.results.map((r) => r.index)).toEqual(DOCS.map((_, i) => i).sort((a, b) => (expected[b] ?? 0) - (expected[a] ?? 0)));
    expect(res.usage.prompt_tokens).toBeGreaterThan(0);
    expect((await rerank({})).results).toEqual(res.results); // deterministic
  });

  it("a query plus document at the ranking context's edge (the model's separator tokens included) is CONTEXT_TOO_LONG, never an internal error", async () => {
    const seen = new Map<number, string>();
    // The pool's context is 512 tokens; 127 words are 508 tokens of the tiny reranker's vocabulary, and a
    // query of n "q"s about n more: the totals step over the context's edge before the separators node-llama-cpp adds.
    for (let n = 1; n <= 8; n++) {
      const res = await post("/v1/rerank", { model: RERANKER, query: Array(n).fill("q").join(" "), documents: ["word ".repeat(127)] });
      const body = (await res.json()) as { error?: { code?: string; message?: string } };
      seen.set(n, res.status === 200 ? "ok" : `${res.status} ${String(body.error?.code)}`);
    }
    expect(new Set(seen.values()), JSON.stringify([...seen])).toEqual(new Set(["ok", "400 CONTEXT_TOO_LONG"]));
  });

  it("honours top_n, return_documents and {text} documents", async () => {
    const full = await rerank({});
    const top = await rerank({ top_n: 2, return_documents: false, documents: DOCS.map((text) => ({ text })) });
    expect(top.results).toHaveLength(2);
    expect(top.results.map((r) => r.index)).toEqual(full.results.slice(0, 2).map((r) => r.index));
    for (const r of top.results) expect(r.document).toBeUndefined();
    expect((await rerank({ top_n: 50 })).results).toHaveLength(DOCS.length);
  });

  it("refuses a generative model by name, before it is placed", async () => {
    const res = await post("/v1/rerank", { model: TINY, query: QUERY, documents: DOCS });
    expect(res.status).toBe(400);
    const error = OpenAiErrorSchema.parse(await res.json()).error;
    expect(error.code).toBe("INVALID_PARAMS");
    expect(error.message).toMatch(new RegExp(`^model ${TINY} \\(llama\\) serves completion, embedding, not rerank: it has no ranking head`));
  });
});

describe("a reranker is not a generative model", () => {
  it("is listed with its capabilities in /v1/models and /api/show", async () => {
    const list = OpenAiModelListSchema.parse(await (await cluster.orch.api("/v1/models")).json());
    expect(list.data.find((m) => m.id === RERANKER)?.capabilities).toEqual(["rerank"]);
    expect(list.data.find((m) => m.id === TINY)?.capabilities).toEqual(["completion", "embedding"]);
    const one = OpenAiModelSchema.parse(await (await cluster.orch.api(`/v1/models/${RERANKER}`)).json());
    expect(one.capabilities).toEqual(["rerank"]);
    const show = (await (await post("/api/show", { model: RERANKER })).json()) as { capabilities: string[] };
    expect(show.capabilities).toEqual([]);
    // The cluster as a whole now serves all three workloads (one model each).
    const meta = CapabilitiesResponseSchema.parse(await (await cluster.orch.api("/v2/meta/capabilities")).json());
    expect(meta.engines[0]?.supported_workloads).toEqual(["completion", "embedding", "rerank"]);
  });

  it("refuses chat, completions, responses, messages and embeddings with a 400 that says why", async () => {
    const client = new OpenAI({ baseURL: `${cluster.orch.url}/v1`, apiKey: cluster.orch.token, maxRetries: 0 });
    await expect(client.chat.completions.create({ model: RERANKER, messages: [{ role: "user", content: "hi" }], max_tokens: 4, stream: true })).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/it is a reranker, not a generative model/) });
    for (const [path, body] of [
      ["/v1/chat/completions", { messages: [{ role: "user", content: "hi" }], max_tokens: 4 }],
      ["/v1/completions", { prompt: "hi", max_tokens: 4 }],
      ["/v1/responses", { input: "hi", max_output_tokens: 16 }],
    ] as const) {
      const res = await post(path, { model: RERANKER, ...body });
      expect(res.status, path).toBe(400);
      const text = await res.text();
      expect(text, path).toContain(`model ${RERANKER} (bert) serves rerank, not completion: it is a reranker, not a generative model: send it to POST /v1/rerank`);
    }
    const anthropic = await post("/v1/messages", { model: RERANKER, max_tokens: 4, messages: [{ role: "user", content: "hi" }] });
    expect(anthropic.status).toBe(400);
    expect(await anthropic.text()).toContain("not a generative model");
    const embed = await post("/v1/embeddings", { model: RERANKER, input: "hi" });
    expect(embed.status).toBe(400);
    expect(OpenAiErrorSchema.parse(await embed.json()).error.message).toMatch(/not embedding: its pooling is rank, so it outputs one relevance score/);
  });
});

describe("the worker itself (a client that bypasses the orchestrator)", () => {
  it("reports the workloads in its inventory and its engine refuses generation and embeddings on the reranker", async () => {
    const inventory = (await getJson<ModelInventoryResponse>(`${cluster.worker.address}/v2/models`, cluster.orch.token)).body.models;
    expect(inventory.find((m) => m.name === RERANKER)?.workloads).toEqual(["rerank"]);
    expect(inventory.find((m) => m.name === TINY)?.workloads).toEqual(["completion", "embedding"]);
    const pool = await cluster.poolOf(RERANKER);
    for (const [request, message] of [
      [{ prompt: "hi", max_tokens: 4 }, /serves rerank, not completion: it is a reranker, not a generative model/],
      [{ inputs: ["hi"], max_tokens: 1 }, /serves rerank, not embedding: its pooling is rank/],
    ] as const) {
      const result = await streamInfer(cluster.worker.address, pool, { task_id: randomUUID(), ...request }, undefined, cluster.orch.token);
      expect(result.status).toBe(200);
      const terminal = terminalEvent(result);
      expect(terminal?.event).toBe("error");
      expect(terminal?.event === "error" ? terminal.data : undefined).toMatchObject({ code: "INVALID_PARAMS", message: expect.stringMatching(message) });
    }
    // The pool still ranks afterwards: the refusals were the tasks', not the pool's.
    expect((await rerank({ top_n: 1 })).results).toHaveLength(1);
  });
});

describe("workload rerank on /v2/tasks", () => {
  const task = (extra: Partial<TaskRequestV2Input> = {}): TaskRequestV2Input => ({ task_id: randomUUID(), session_id: randomUUID(), workload: "rerank", model_ref: RERANKER, engine: "llamacpp", ctx: 512, priority: "batch", query: QUERY, documents: DOCS, max_tokens: 1, deadline_ms: 30_000, ...extra });

  it("streams one score per document with its index, then exactly one end", async () => {
    const body = task();
    const accepted = await post("/v2/tasks", body);
    expect(accepted.status).toBe(202);
    const events = (await followTaskEvents(cluster.orch.url, cluster.orch.token, body.task_id).done).map((e) => e.event).filter((e) => e.event !== "metrics");
    expect(events.map((e) => e.event)).toEqual(["started", ...DOCS.map(() => "score"), "end"]);
    const scores = events.flatMap((e) => (e.event === "score" ? [e.data] : []));
    expect(scores.map((s) => s.index)).toEqual([0, 1, 2, 3, 4]);
    for (const s of scores) {
      expect(s.score).toBeCloseTo(expected[s.index] ?? -1, 5);
      expect(s.tokens).toBeGreaterThan(0);
    }
    const status = (await (await cluster.orch.api(`/v2/tasks/${body.task_id}`)).json()) as { state: string; workload: string };
    expect(status).toMatchObject({ state: "completed", workload: "rerank" });
  });

  it("refuses a malformed or impossible rerank task with 400 naming the field", async () => {
    const cases: [Partial<TaskRequestV2Input>, RegExp][] = [
      [{ query: undefined }, /query/],
      [{ documents: undefined }, /documents/],
      [{ documents: [] }, /documents/],
      [{ prompt: "x" }, /prompt/],
      [{ inputs: ["x"] }, /inputs/],
      [{ workload: "completion", prompt: "x" }, /query and documents belong to workload rerank/],
      [{ model_ref: TINY }, /has no ranking head/],
    ];
    for (const [extra, message] of cases) {
      const res = await post("/v2/tasks", task(extra));
      expect(res.status, JSON.stringify(extra)).toBe(400);
      const raw: unknown = await res.json();
      expect(ErrorEnvelopeSchema.parse(raw).code).toBe("INVALID_PARAMS");
      expect(JSON.stringify(raw), JSON.stringify(extra)).toMatch(message);
    }
  });
});
