import Anthropic from "@anthropic-ai/sdk";
import { Ollama } from "ollama";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKeyInfoSchema, ApiKeyListResponseSchema } from "../../src-shared/dashboard/api-keys.js";
import { UsageResponseSchema } from "../../src-shared/dashboard/key-usage.js";
import { createApiKey } from "../../test-support/api-keys.js";
import { startCompatCluster, type CompatCluster } from "../../test-support/compat-cluster.js";
import { taskRequest } from "../../test-support/fixtures.js";
import { testModelName } from "../../test-support/models.js";

// Per-key limits on a shared cluster: a key's requests per minute and tokens per UTC day, enforced at
// admission on every surface with each surface's own 429, counted from real llama.cpp token counts,
// kept across a restart; usage per key and day for the operator (and each key's own for itself).
const TINY = testModelName("tiny");
let cluster: CompatCluster;

beforeAll(async () => {
  cluster = await startCompatCluster("node-key-limits", ["tiny"]);
}, 60_000);

afterAll(async () => {
  await cluster?.close();
});

const chat = (key: string) => new OpenAI({ baseURL: `${cluster.orch.url}/v1`, apiKey: key, maxRetries: 0 }).chat.completions.create({ model: TINY, messages: [{ role: "user", content: "hi" }], max_tokens: 4 });
const asKey = (key: string, path: string, init: RequestInit = {}) => fetch(`${cluster.orch.url}${path}`, { ...init, headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...(init.headers as Record<string, string> | undefined) } });
const putLimits = (id: string, body: unknown) => cluster.orch.api(`/v2/auth/keys/${id}/limits`, { method: "PUT", body: JSON.stringify(body) });
const listed = async (id: string) => ApiKeyListResponseSchema.parse(await (await cluster.orch.api("/v2/auth/keys")).json()).keys.find((k) => k.id === id);

describe("requests_per_minute", () => {
  it("admits a burst of one minute's worth, then 429 KEY_RATE_LIMITED with Retry-After on every surface; other keys and the operator are not limited", async () => {
    const limited = await createApiKey(cluster.orch, "rate-limited", ["inference"]);
    const other = await createApiKey(cluster.orch, "unlimited", ["inference"]);
    expect((await putLimits(limited.id, { requests_per_minute: 3 })).status).toBe(200);

    // The client learns where it stands, as OpenAI's API tells it (x-ratelimit-*); an unlimited key gets none.
    const first = await asKey(limited.key, "/v1/chat/completions", { method: "POST", body: JSON.stringify({ model: TINY, messages: [{ role: "user", content: "hi" }], max_tokens: 4 }) });
    expect(first.status).toBe(200);
    expect(first.headers.get("x-ratelimit-limit-requests")).toBe("3");
    expect(first.headers.get("x-ratelimit-remaining-requests")).toBe("2");
    expect(first.headers.get("x-ratelimit-reset-requests")).toMatch(/^\d+(\.\d+)?s$/);
    expect(first.headers.get("x-ratelimit-limit-tokens")).toBeNull();
    const plain = await asKey(other.key, "/v1/chat/completions", { method: "POST", body: JSON.stringify({ model: TINY, messages: [{ role: "user", content: "hi" }], max_tokens: 4 }) });
    expect(plain.headers.get("x-ratelimit-limit-requests")).toBeNull();
    await plain.text();
    await first.text();
    for (let i = 0; i < 2; i++) expect((await chat(limited.key)).choices[0]?.finish_reason).toBeDefined();
    const refused = await chat(limited.key).then(() => null, (err: unknown) => err);
    expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
    expect((refused as InstanceType<typeof OpenAI.RateLimitError>).code).toBe("KEY_RATE_LIMITED");
    expect(Number((refused as InstanceType<typeof OpenAI.RateLimitError>).headers.get("retry-after"))).toBeGreaterThan(0);
    // The 429 says where the key stands too (LiteLLM and LangChain read it from refusals).
    expect((refused as InstanceType<typeof OpenAI.RateLimitError>).headers.get("x-ratelimit-remaining-requests")).toBe("0");
    expect((refused as InstanceType<typeof OpenAI.RateLimitError>).headers.get("x-ratelimit-limit-requests")).toBe("3");

    const anthropic = await new Anthropic({ baseURL: cluster.orch.url, apiKey: limited.key, maxRetries: 0 }).messages.create({ model: TINY, max_tokens: 4, messages: [{ role: "user", content: "hi" }] }).then(() => null, (err: unknown) => err);
    expect(anthropic).toBeInstanceOf(Anthropic.RateLimitError);
    expect((anthropic as InstanceType<typeof Anthropic.RateLimitError>).headers.get("x-ratelimit-limit-requests")).toBe("3");
    const ollama = await new Ollama({ host: cluster.orch.url, headers: { Authorization: `Bearer ${limited.key}` } }).chat({ model: TINY, messages: [{ role: "user", content: "hi" }], options: { num_predict: 4 } }).then(() => null, (err: unknown) => err as { status_code?: number; error?: string });
    expect(ollama).toMatchObject({ status_code: 429 });
    const v2 = await asKey(limited.key, "/v2/tasks", { method: "POST", body: JSON.stringify(taskRequest(TINY)) });
    expect(v2.status).toBe(429);
    expect(await v2.json()).toMatchObject({ code: "KEY_RATE_LIMITED", retriable: true, details: { requests_per_minute: 3 } });

    // Counted where an operator looks for refusals.
    const metrics = await (await cluster.orch.api("/metrics")).text();
    expect(metrics).toMatch(/tasks_rejected_total\{reason="KEY_RATE_LIMITED"\} [3-9]/);
    // Nobody else is slowed by it.
    for (let i = 0; i < 4; i++) expect((await chat(other.key)).choices).toHaveLength(1);
    for (let i = 0; i < 5; i++) expect((await chat(cluster.orch.token)).choices).toHaveLength(1);
    // Only admitted requests count.
    expect((await listed(limited.id))?.usage_today.requests).toBe(3);
    // Lifting the limit takes effect on the next request.
    expect((await putLimits(limited.id, {})).status).toBe(200);
    expect((await chat(limited.key)).choices).toHaveLength(1);
  }, 60_000);
});

describe("tokens_per_day", () => {
  it("counts prompt and generated tokens per key; once the day's quota is used, 429 KEY_QUOTA_EXCEEDED until 00:00 UTC, also after a restart", async () => {
    const key = await createApiKey(cluster.orch, "quota", ["inference"]);
    const created = await cluster.orch.api("/v2/auth/keys", { method: "POST", body: JSON.stringify({ name: "quota-at-creation", scopes: ["inference"], limits: { tokens_per_day: 1000 } }) });
    expect(created.status).toBe(201);
    expect((await created.json()) as unknown).toMatchObject({ limits: { tokens_per_day: 1000, requests_per_minute: null }, usage_today: { requests: 0, tokens_in: 0, tokens_out: 0 } });
    expect((await putLimits(key.id, { tokens_per_day: 40 })).status).toBe(200);

    let admitted = 0;
    let refusal: unknown = null;
    for (let i = 0; i < 40 && refusal === null; i++) {
      await chat(key.key).then(() => admitted++, (err: unknown) => (refusal = err));
    }
    expect(refusal).toBeInstanceOf(OpenAI.RateLimitError);
    expect((refusal as InstanceType<typeof OpenAI.RateLimitError>).code).toBe("KEY_QUOTA_EXCEEDED");
    const retryAfter = Number((refusal as InstanceType<typeof OpenAI.RateLimitError>).headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(86_400);
    const usage = (await listed(key.id))?.usage_today;
    expect(usage?.requests).toBe(admitted);
    expect(admitted).toBeGreaterThan(0);
    // The request that crossed the quota was admitted under it (and finished); the next one was refused.
    expect((usage?.tokens_in ?? 0) + (usage?.tokens_out ?? 0)).toBeGreaterThanOrEqual(40);
    expect(usage?.tokens_out).toBe(admitted * 4);

    await cluster.orch.restart();
    expect((await listed(key.id))?.usage_today).toEqual(usage);
    expect((await asKey(key.key, "/v1/chat/completions", { method: "POST", body: JSON.stringify({ model: TINY, messages: [{ role: "user", content: "hi" }], max_tokens: 4 }) })).status).toBe(429);
    expect((await putLimits(key.id, { tokens_per_day: null })).status).toBe(200);
    await expect.poll(async () => (await asKey(key.key, "/v1/chat/completions", { method: "POST", body: JSON.stringify({ model: TINY, messages: [{ role: "user", content: "hi" }], max_tokens: 4 }) })).status, { timeout: 30_000, interval: 250 }).toBe(200);
  }, 90_000);
});

describe("GET /v2/usage", () => {
  it("gives the operator every credential's use per day, and an inference key its own only", async () => {
    const a = await createApiKey(cluster.orch, "usage-a", ["inference"]);
    const b = await createApiKey(cluster.orch, "usage-b", ["inference"]);
    for (let i = 0; i < 2; i++) await chat(a.key);
    await chat(b.key);

    const all = UsageResponseSchema.parse(await (await cluster.orch.api("/v2/usage?days=2")).json());
    const today = all.to_day;
    expect(all.usage.find((u) => u.key_id === a.id && u.day === today)).toMatchObject({ name: "usage-a", requests: 2, tokens_out: 8 });
    expect(all.usage.find((u) => u.key_id === b.id && u.day === today)).toMatchObject({ name: "usage-b", requests: 1, tokens_out: 4 });
    expect(all.usage.find((u) => u.key_id === "builtin")?.name).toContain("operator");

    const own = UsageResponseSchema.parse(await (await asKey(a.key, "/v2/usage")).json());
    expect(own.usage.map((u) => u.key_id)).toEqual([a.id]);
    expect((await asKey(a.key, `/v2/usage?key_id=${b.id}`)).status).toBe(403);
    expect((await asKey(a.key, `/v2/usage?key_id=${a.id}`)).status).toBe(200);
    for (const bad of ["days=0", "days=367", "days=abc", `key_id=${"x".repeat(81)}`]) expect((await cluster.orch.api(`/v2/usage?${bad}`)).status, bad).toBe(400);
  }, 60_000);
});

describe("setting limits: what a careless or hostile caller sends", () => {
  it("refuses bad limits with 400 and changes nothing; unknown, configured and revoked keys; an inference key cannot set them", async () => {
    const key = await createApiKey(cluster.orch, "hostile-limits", ["inference"]);
    expect((await putLimits(key.id, { requests_per_minute: 10 })).status).toBe(200);
    for (const body of [{ requests_per_minute: 0 }, { requests_per_minute: -1 }, { requests_per_minute: 1.5 }, { requests_per_minute: "10" }, { tokens_per_day: 1e13 }, { rpm: 10 }, [], "x", null]) {
      const res = await putLimits(key.id, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    expect((await listed(key.id))?.limits).toEqual({ requests_per_minute: 10, tokens_per_day: null });
    const before = (await (await cluster.orch.api("/v2/auth/keys")).json()) as { keys: unknown[] };
    expect((await cluster.orch.api("/v2/auth/keys", { method: "POST", body: JSON.stringify({ name: "bad", limits: { tokens_per_day: 0 } }) })).status).toBe(400);
    expect(((await (await cluster.orch.api("/v2/auth/keys")).json()) as { keys: unknown[] }).keys).toHaveLength(before.keys.length);

    expect((await putLimits("00000000-0000-0000-0000-000000000000", {})).status).toBe(404);
    const builtin = ApiKeyListResponseSchema.parse(await (await cluster.orch.api("/v2/auth/keys")).json()).keys.find((k) => k.source !== "api-key");
    expect((await putLimits(builtin?.id ?? "config:x", { requests_per_minute: 1 })).status).toBe(409);
    expect((await asKey(key.key, `/v2/auth/keys/${key.id}/limits`, { method: "PUT", body: JSON.stringify({}) })).status).toBe(403);
    expect((await cluster.orch.api(`/v2/auth/keys/${key.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await putLimits(key.id, {})).status).toBe(409);
    // The answer of a successful PUT is the key as listed.
    const fresh = await createApiKey(cluster.orch, "answer-shape", ["inference"]);
    expect(ApiKeyInfoSchema.parse(await (await putLimits(fresh.id, { tokens_per_day: 5 })).json())).toMatchObject({ id: fresh.id, limits: { tokens_per_day: 5, requests_per_minute: null } });
    // Audited, with what changed.
    const audit = cluster.orch.orchestrator.auditTrail(500).filter((e) => e.action === "api_key_limits_changed" && e.target === `token:${fresh.fp6}`);
    expect(audit).toHaveLength(1);
    expect(audit[0]?.details).toMatchObject({ before: { tokens_per_day: null }, after: { tokens_per_day: 5 } });
  }, 60_000);
});
