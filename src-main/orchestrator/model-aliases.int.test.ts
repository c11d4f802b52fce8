import { createHash, randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import { Ollama } from "ollama";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreatedApiKeySchema } from "../../src-shared/dashboard/api-keys.js";
import { ErrorEnvelopeSchema } from "../../src-shared/errors/error-envelope.js";
import { CreatedModelAliasSchema, MAX_MODEL_ALIASES, ModelAliasListSchema, ModelAliasSchema } from "../../src-shared/models/model-alias.js";
import { OllamaErrorSchema } from "../../src-shared/ollama/ollama-error.js";
import { OpenAiModelListSchema } from "../../src-shared/openai/openai-models.js";
import { startCompatCluster, type CompatCluster } from "../../test-support/compat-cluster.js";
import { testModelName, testModelPath } from "../../test-support/models.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { waitFor } from "../../test-support/wait-for.js";
import { startWorkerProcess, type WorkerProcess } from "../../test-support/worker-process.js";
import { AuditLog } from "./db/audit-log.js";
import { openDatabase } from "./db/database.js";

// Operator aliases (docs/MODEL_STAGING.md "Aliases") through every surface, with the real SDKs, against a
// real orchestrator and a real worker running llama.cpp on two generated models.
const TINY = testModelName("tiny");
const TINY_B = testModelName("tiny-b");
const UNKNOWN_SHA = "e".repeat(64);
let cluster: CompatCluster;
let openai: OpenAI;
let anthropic: Anthropic;
let ollama: Ollama;
let inferenceKey: string;

const post = (path: string, body: unknown, headers: Record<string, string> = {}) => cluster.orch.api(path, { method: "POST", body: JSON.stringify(body), headers });
const setAlias = (name: string, target: string) => post("/v2/catalog/aliases", { name, target });
/** A model's sha256, as /api/tags reports it. */
async function shaOf(name: string): Promise<string> {
  const { models } = await ollama.list();
  const digest = models.find((m) => m.name === name)?.digest;
  if (digest === undefined) throw new Error(`${name} not in /api/tags`);
  return digest;
}

beforeAll(async () => {
  cluster = await startCompatCluster("node-aliases", ["tiny", "tiny-b"]);
  openai = new OpenAI({ baseURL: `${cluster.orch.url}/v1`, apiKey: cluster.orch.token, maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: cluster.orch.url, apiKey: cluster.orch.token, maxRetries: 0 });
  ollama = new Ollama({ host: cluster.orch.url, headers: { Authorization: `Bearer ${cluster.orch.token}` } });
  const key = await post("/v2/auth/keys", { name: "alias inference key", scopes: ["inference"] });
  inferenceKey = CreatedApiKeySchema.parse(await key.json()).key;
}, 90_000);

afterAll(async () => {
  await cluster?.close();
});

describe("model aliases over a real cluster", () => {
  it("creates an alias from a model's name (resolved to its sha256, saying so) and from sha256:<hex>", async () => {
    const tinySha = await shaOf(TINY);
    const byName = await setAlias("gpt-4o-mini", TINY);
    expect(byName.status).toBe(201);
    const created = CreatedModelAliasSchema.parse(await byName.json());
    expect(created).toMatchObject({ name: "gpt-4o-mini", sha256: tinySha, target_id: TINY, state: "available", resolved_from: { target: TINY, via: "model" }, replaced: null });
    expect(created.warning).toBeUndefined();
    const bySha = await setAlias("claude-3-5-sonnet-latest", `sha256:${tinySha}`);
    expect(bySha.status).toBe(201);
    expect(CreatedModelAliasSchema.parse(await bySha.json())).toMatchObject({ sha256: tinySha, resolved_from: { via: "sha256" } });
    const list = ModelAliasListSchema.parse(await (await cluster.orch.api("/v2/catalog/aliases")).json());
    expect(list.limit).toBe(MAX_MODEL_ALIASES);
    expect(list.aliases.map((a) => a.name)).toEqual(["claude-3-5-sonnet-latest", "gpt-4o-mini"]);
  });

  it("lists aliases as entries of /v1/models (alias_of), Anthropic's models and /api/tags (parent_model), parsed by the real SDKs", async () => {
    const openaiIds = [];
    for await (const m of openai.models.list()) openaiIds.push(m);
    expect(openaiIds.map((m) => m.id)).toEqual(["claude-3-5-sonnet-latest", "gpt-4o-mini", TINY, TINY_B]);
    expect(openaiIds.find((m) => m.id === "gpt-4o-mini")).toMatchObject({ object: "model", owned_by: "llama-orch", alias_of: TINY });
    expect(openaiIds.find((m) => m.id === TINY)).not.toHaveProperty("alias_of");
    expect(await openai.models.retrieve("gpt-4o-mini")).toMatchObject({ id: "gpt-4o-mini", alias_of: TINY });
    const anthropicModels = [];
    for await (const m of anthropic.models.list({ limit: 2 })) anthropicModels.push(m);
    expect(anthropicModels.map((m) => m.id)).toEqual(["claude-3-5-sonnet-latest", "gpt-4o-mini", TINY, TINY_B]);
    expect(anthropicModels[1]?.display_name).toBe(`gpt-4o-mini (alias of ${TINY})`);
    const { models } = await ollama.list();
    expect(models.map((m) => m.name)).toEqual(["claude-3-5-sonnet-latest", "gpt-4o-mini", TINY, TINY_B]);
    const alias = models.find((m) => m.name === "gpt-4o-mini");
    expect(alias?.digest).toBe(models.find((m) => m.name === TINY)?.digest);
    expect(alias?.details.parent_model).toBe(TINY);
    // Loaded: the pool serving the model is listed under each of its names.
    expect((await ollama.ps()).models.map((m) => m.name)).toEqual(["claude-3-5-sonnet-latest", "gpt-4o-mini", TINY, TINY_B]);
  });

  it("serves an alias on every surface; OpenAI and Anthropic echo the alias as `model`, Ollama the name sent", async () => {
    const chat = await openai.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }], max_tokens: 2 });
    expect(chat.model).toBe("gpt-4o-mini");
    expect(chat.usage?.completion_tokens).toBe(2);
    const completion = await openai.completions.create({ model: "gpt-4o-mini", prompt: "Once", max_tokens: 2 });
    expect(completion.model).toBe("gpt-4o-mini");
    const response = await openai.responses.create({ model: "gpt-4o-mini", input: "hi", max_output_tokens: 2 });
    expect(response.model).toBe("gpt-4o-mini");
    const embedding = await openai.embeddings.create({ model: "gpt-4o-mini", input: "hello" });
    expect(embedding.model).toBe("gpt-4o-mini");
    expect(embedding.data[0]?.embedding.length).toBeGreaterThan(0);
    // A model's own name still answers with its own id.
    expect((await openai.completions.create({ model: TINY, prompt: "Once", max_tokens: 1 })).model).toBe(TINY);
    const message = await anthropic.messages.create({ model: "claude-3-5-sonnet-latest", max_tokens: 2, messages: [{ role: "user", content: "hi" }] });
    expect(message.model).toBe("claude-3-5-sonnet-latest");
    expect((await anthropic.messages.countTokens({ model: "claude-3-5-sonnet-latest", messages: [{ role: "user", content: "hi" }] })).input_tokens).toBeGreaterThan(0);
    const ollamaChat = await ollama.chat({ model: "gpt-4o-mini:latest", messages: [{ role: "user", content: "hi" }], options: { num_predict: 2 } });
    expect(ollamaChat).toMatchObject({ model: "gpt-4o-mini:latest", done: true, eval_count: 2 });
    expect(await ollama.generate({ model: "gpt-4o-mini", prompt: "Once", raw: true, options: { num_predict: 2 } })).toMatchObject({ model: "gpt-4o-mini", eval_count: 2 });
    expect((await ollama.embed({ model: "gpt-4o-mini:latest", input: "hello" })).embeddings[0]?.length).toBeGreaterThan(0);
    expect((await ollama.show({ model: "gpt-4o-mini:latest" })).details.parent_model).toBe(TINY);
    // /v2/tasks takes the alias as model_ref.
    const task = await post("/v2/tasks", { task_id: randomUUID(), session_id: randomUUID(), workload: "completion", model_ref: "gpt-4o-mini", engine: "llamacpp", ctx: 128, priority: "interactive", prompt: "Once", max_tokens: 1, deadline_ms: 30_000 });
    expect(task.status, await task.clone().text()).toBe(202);
  });

  it("repoints an alias (an upgrade without touching clients), saying what it replaced; an alias of an alias stores the digest", async () => {
    const [tinySha, bSha] = [await shaOf(TINY), await shaOf(TINY_B)];
    const repointed = await setAlias("gpt-4o-mini:latest", TINY_B);
    expect(repointed.status).toBe(200);
    expect(CreatedModelAliasSchema.parse(await repointed.json())).toMatchObject({ name: "gpt-4o-mini", sha256: bSha, target_id: TINY_B, replaced: tinySha });
    expect((await ollama.show({ model: "gpt-4o-mini" })).details.parent_model).toBe(TINY_B);
    expect((await openai.completions.create({ model: "gpt-4o-mini", prompt: "Once", max_tokens: 1 })).model).toBe("gpt-4o-mini");
    const chained = await setAlias("team-chat", "gpt-4o-mini");
    expect(CreatedModelAliasSchema.parse(await chained.json())).toMatchObject({ sha256: bSha, resolved_from: { target: "gpt-4o-mini", via: "alias" } });
    // Repointing the first alias does not move the second: targets are digests, never names.
    await setAlias("gpt-4o-mini", TINY);
    expect((await ollama.show({ model: "team-chat" })).details.parent_model).toBe(TINY_B);
    expect((await cluster.orch.api("/v2/catalog/aliases/team-chat", { method: "DELETE" })).status).toBe(200);
  });

  it("refuses hostile names and targets with a clear 400/404/409 envelope and changes nothing", async () => {
    const before = ModelAliasListSchema.parse(await (await cluster.orch.api("/v2/catalog/aliases")).json()).aliases;
    const cases: [unknown, number, string, RegExp][] = [
      [{ name: "", target: TINY }, 400, "INVALID_PARAMS", /empty/],
      [{ name: "a".repeat(10_240), target: TINY }, 400, "INVALID_PARAMS", /longer than 128/],
      [{ name: "../../etc/passwd", target: TINY }, 400, "INVALID_PARAMS", /may contain only/],
      [{ name: "\u202Egpt-4o\u202C", target: TINY }, 400, "INVALID_PARAMS", /may contain only/],
      [{ name: "名前", target: TINY }, 400, "INVALID_PARAMS", /may contain only/],
      [{ name: `sha256:${UNKNOWN_SHA}`, target: TINY }, 400, "INVALID_PARAMS", /reference/],
      [{ name: "ok-name", target: "a".repeat(10_240) }, 400, "INVALID_PARAMS", /target/],
      [{ name: "ok-name", target: "no-such-model" }, 404, "MODEL_NOT_FOUND", /no model "no-such-model" is known.*sha256:<hex>/],
      [{ name: "ok-name", target: "../x" }, 400, "INVALID_PARAMS", /^target: model: /],
      [{ name: TINY, target: TINY_B }, 409, "CONFLICT", /already the name of a model, or differs from one only in letter case \(sha256:[0-9a-f]{64}\); an alias cannot shadow/],
      [{ name: TINY.toUpperCase(), target: TINY_B }, 409, "CONFLICT", /differs from one only in letter case/],
      [{ name: `${TINY}:latest`, target: TINY_B }, 409, "CONFLICT", /already the name of a model/],
      [{ name: "ok-name", target: TINY, extra: true }, 400, "INVALID_PARAMS", /extra/],
    ];
    for (const [body, status, code, message] of cases) {
      const res = await post("/v2/catalog/aliases", body);
      const envelope = ErrorEnvelopeSchema.parse(await res.json());
      expect({ status: res.status, code: envelope.code }, JSON.stringify(body).slice(0, 80)).toEqual({ status, code });
      expect(envelope.message).toMatch(message);
    }
    expect((await cluster.orch.api(`/v2/catalog/aliases/${encodeURIComponent("../nope")}`, { method: "DELETE" })).status).toBe(400);
    expect((await cluster.orch.api("/v2/catalog/aliases/not-an-alias", { method: "DELETE" })).status).toBe(404);
    expect(ModelAliasListSchema.parse(await (await cluster.orch.api("/v2/catalog/aliases")).json()).aliases).toEqual(before);
  });

  it("Ollama cp makes an alias and rm deletes it (admin only); rm of a model's own name stays refused with what to do", async () => {
    await ollama.copy({ source: `${TINY}:latest`, destination: "llama3:latest" });
    expect(ModelAliasListSchema.parse(await (await cluster.orch.api("/v2/catalog/aliases")).json()).aliases.find((a) => a.name === "llama3")).toMatchObject({ target_id: TINY });
    expect((await ollama.generate({ model: "llama3", prompt: "Once", raw: true, options: { num_predict: 1 } })).model).toBe("llama3");
    // An inference key may use the alias but not make or delete one.
    const asClient = (path: string, method: string, body: unknown) => fetch(`${cluster.orch.url}${path}`, { method, headers: { authorization: `Bearer ${inferenceKey}`, "content-type": "application/json" }, body: JSON.stringify(body) });
    for (const [path, method, body] of [["/api/copy", "POST", { source: TINY, destination: "mine" }], ["/api/delete", "DELETE", { model: "llama3" }]] as const) {
      const res = await asClient(path, method, body);
      expect(res.status).toBe(403);
      expect(OllamaErrorSchema.parse(await res.json()).error).toMatch(/scope/i);
    }
    const v2 = await asClient("/v2/catalog/aliases", "POST", { name: "mine", target: TINY });
    expect(v2.status).toBe(403);
    expect(ErrorEnvelopeSchema.parse(await v2.json()).code).toBe("FORBIDDEN_SCOPE");
    expect((await asClient("/api/generate", "POST", { model: "llama3", prompt: "Once", raw: true, stream: false, options: { num_predict: 1 } })).status).toBe(200);
    // cp onto a model's name, from an unknown source: Ollama's shape, clear message.
    await expect(ollama.copy({ source: TINY, destination: TINY_B })).rejects.toMatchObject({ status_code: 409, error: expect.stringMatching(/already the name of a model/) });
    await expect(ollama.copy({ source: "no-such", destination: "x" })).rejects.toMatchObject({ status_code: 404 });
    await ollama.delete({ model: "llama3:latest" });
    expect((await ollama.list()).models.map((m) => m.name)).not.toContain("llama3");
    await expect(ollama.delete({ model: TINY })).rejects.toMatchObject({ status_code: 501, error: expect.stringMatching(/not an alias.*DELETE \/v2\/catalog\/models/) });
    await expect(ollama.delete({ model: "never-was" })).rejects.toMatchObject({ status_code: 404 });
  });

  it("an alias of a model not staged yet is kept, flagged unavailable, and fails with a 404 naming the alias and the digest", async () => {
    const res = await setAlias("future", `sha256:${UNKNOWN_SHA}`);
    expect(res.status).toBe(201);
    const created = CreatedModelAliasSchema.parse(await res.json());
    expect(created).toMatchObject({ state: "unavailable", target_id: null });
    expect(created.warning).toMatch(/never seen a model with sha256:e{64}/);
    expect((await ollama.list()).models.map((m) => m.name)).not.toContain("future");
    const err = await openai.chat.completions.create({ model: "future", messages: [{ role: "user", content: "hi" }], max_tokens: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect((err as Error).message).toContain(`"future" is an alias of sha256:${UNKNOWN_SHA}, which no online node serves`);
    await expect(ollama.chat({ model: "future:latest", messages: [{ role: "user", content: "hi" }] })).rejects.toMatchObject({ status_code: 404, error: expect.stringContaining(`alias of sha256:${UNKNOWN_SHA}`) });
    await expect(anthropic.messages.create({ model: "future", max_tokens: 1, messages: [{ role: "user", content: "hi" }] })).rejects.toBeInstanceOf(Anthropic.NotFoundError);
  });

  it("when the alias's model leaves the cluster, the alias stays, shows unavailable, and requests get an answer naming it (503: no node left at all)", async () => {
    const tinySha = await shaOf(TINY);
    await cluster.worker.kill();
    await waitFor(async () => OpenAiModelListSchema.parse(await (await cluster.orch.api("/v1/models")).json()).data, (data) => data.length === 0, 30_000);
    const alias = ModelAliasListSchema.parse(await (await cluster.orch.api("/v2/catalog/aliases")).json()).aliases.find((a) => a.name === "gpt-4o-mini");
    expect(alias).toMatchObject({ state: "unavailable", target_id: null, sha256: tinySha });
    // The last node left: as for any model, a cluster without models may be starting (503, retriable).
    const res = await post("/v1/completions", { model: "gpt-4o-mini", prompt: "x", max_tokens: 1 });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain(`"gpt-4o-mini" (an alias of sha256:${tinySha}) cannot be served now`);
    const show = await post("/api/show", { model: "gpt-4o-mini" });
    expect(show.status).toBe(404);
    expect(OllamaErrorSchema.parse(await show.json()).error).toContain(`"gpt-4o-mini" is an alias of sha256:${tinySha}, which no online node serves`);
  });
});

describe("alias persistence, bound and audit (orchestrator without workers)", () => {
  let orch: TestOrchestrator;
  let closed = false;
  const dataDir = mkdtempSync(join(tmpdir(), "llorch-aliases-"));
  beforeAll(async () => {
    orch = await startTestOrchestrator({ pool_probe_interval_ms: 0 }, dataDir);
  });
  afterAll(async () => {
    if (!closed) await orch?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const set = (name: string, sha: string) => orch.api("/v2/catalog/aliases", { method: "POST", body: JSON.stringify({ name, target: `sha256:${sha}` }) });

  it("keeps at most 1,000 aliases (the 1,001st is 409, repointing one still works), across a restart, each change audited", async () => {
    for (let i = 0; i < MAX_MODEL_ALIASES; i++) expect((await set(`a${String(i).padStart(4, "0")}`, UNKNOWN_SHA)).status).toBe(201);
    const over = await set("one-too-many", UNKNOWN_SHA);
    expect(over.status).toBe(409);
    expect(ErrorEnvelopeSchema.parse(await over.json()).message).toMatch(/already has 1000 aliases/);
    expect((await set("a0000", "f".repeat(64))).status).toBe(200);
    expect((await orch.api("/v2/catalog/aliases/a0999", { method: "DELETE" })).status).toBe(200);
    await orch.restart();
    const list = ModelAliasListSchema.parse(await (await orch.api("/v2/catalog/aliases")).json());
    expect(list.aliases.length).toBe(MAX_MODEL_ALIASES - 1);
    expect(list.aliases[0]).toMatchObject({ name: "a0000", sha256: "f".repeat(64), state: "unavailable", updated_by: expect.stringMatching(/^token:/) });
    expect(ModelAliasSchema.parse(list.aliases[0]).created_at_ms).toBeLessThanOrEqual(list.aliases[0]?.updated_at_ms ?? 0);
    await orch.close();
    closed = true;
    const db = openDatabase(join(dataDir, "orchestrator.db"));
    try {
      const actions = new AuditLog(db).recent(5000).filter((e) => e.action.startsWith("model_alias_"));
      expect(actions.filter((e) => e.action === "model_alias_created").length).toBe(MAX_MODEL_ALIASES);
      expect(actions.find((e) => e.action === "model_alias_repointed")).toMatchObject({ target: "a0000", outcome: "success", details: { sha256: "f".repeat(64), replaced: UNKNOWN_SHA, via: "sha256" } });
      expect(actions.find((e) => e.action === "model_alias_deleted")).toMatchObject({ target: "a0999", details: { sha256: UNKNOWN_SHA } });
    } finally {
      db.close();
    }
  }, 120_000);
});

describe("a model that arrives with an alias's name", () => {
  it("is listed as name@<12 hex> (the alias keeps the name) and stays reachable by that id and its sha256", async () => {
    const orch = await startTestOrchestrator({ pool_probe_interval_ms: 500 });
    let worker: WorkerProcess | undefined;
    try {
      const [tinySha, bSha] = ["tiny", "tiny-b"].map((kind) => createHash("sha256").update(readFileSync(testModelPath(kind as "tiny" | "tiny-b"))).digest("hex")) as [string, string];
      const created = await orch.api("/v2/catalog/aliases", { method: "POST", body: JSON.stringify({ name: TINY_B, target: `sha256:${tinySha}` }) });
      expect(created.status).toBe(201);
      worker = await startWorkerProcess({ nodeId: "node-late", models: ["tiny", "tiny-b"], orchestratorUrl: orch.url, token: orch.token, slots: 1 });
      const listed = await waitFor(async () => OpenAiModelListSchema.parse(await (await orch.api("/v1/models")).json()).data, (data) => data.length === 3, 30_000);
      const late = `${TINY_B}@${bSha.slice(0, 12)}`;
      expect(listed.map((m) => [m.id, m.alias_of ?? null]).sort()).toEqual([[TINY, null], [TINY_B, TINY], [late, null]].sort());
      const show = async (model: string) => ((await (await orch.api("/api/show", { method: "POST", body: JSON.stringify({ model }) })).json()) as { details: { parent_model: string }; model_info: Record<string, unknown> });
      // The alias wins its name; the model that has it too is reached by its listed id or its digest.
      expect((await show(TINY_B)).details.parent_model).toBe(TINY);
      expect((await show(late)).model_info["general.name"]).toBe(TINY_B);
      expect((await show(`sha256:${bSha}`)).details.parent_model).toBe("");
      const catalog = (await (await orch.api("/v2/catalog/models")).json()) as { models: { sha256: string; name: string }[] };
      expect(catalog.models.find((m) => m.sha256 === bSha)?.name).toBe(late);
    } finally {
      await worker?.kill();
      await orch.close();
    }
  }, 90_000);
});
