import { afterEach, describe, expect, it } from "vitest";
import { ApiKeyListResponseSchema, type CreatedApiKey } from "../../src-shared/dashboard/api-keys.js";
import { UsageResponseSchema } from "../../src-shared/dashboard/key-usage.js";
import type { TaskRequestV2Input } from "../../src-shared/tasks/task-request.js";
import { TaskStatusSchema } from "../../src-shared/tasks/task-status.js";
import { createApiKey } from "../../test-support/api-keys.js";
import { taskRequest } from "../../test-support/fixtures.js";
import { startTestOrchestrator, TEST_TOKEN } from "../../test-support/orchestrator-harness.js";
import { authedApi, HeadlessHoldingCluster, HoldingNode, type Api } from "../../test-support/holding-node.js";
import { waitFor } from "../../test-support/wait-for.js";

// Fair share, per-key limits and a graceful stop together, as a team's cluster meets them: one
// simulated node with one slot holds every task until the test ends it, so the dispatch order is exactly
// the order of its infer requests, and every ended task reports 2 prompt + 1 generated tokens.
const MODEL = "team-sim";

const as = authedApi;
const task = (over: Partial<TaskRequestV2Input> = {}) => taskRequest(MODEL, { deadline_ms: 300_000, max_tokens: 4, ...over });
async function submit(api: Api, body: TaskRequestV2Input): Promise<{ status: number; code: unknown }> {
  const res = await api("/v2/tasks", { method: "POST", body: JSON.stringify(body) });
  const parsed = (await res.json()) as { code?: unknown };
  return { status: res.status, code: parsed.code };
}
async function usageOf(admin: Api, keyId: string): Promise<{ requests: number; tokens_in: number; tokens_out: number } | undefined> {
  const res = UsageResponseSchema.parse(await (await admin("/v2/usage?days=1")).json());
  const row = res.usage.find((u) => u.key_id === keyId && u.day === res.to_day);
  return row === undefined ? undefined : { requests: row.requests, tokens_in: row.tokens_in, tokens_out: row.tokens_out };
}
const stateOf = async (api: Api, id: string) => TaskStatusSchema.parse(await (await api(`/v2/tasks/${id}`)).json()).state;

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

describe("a graceful stop with queued tasks of several keys, each with its limits", () => {
  it("after the restart the kept tasks run in fair order, count once to their keys, and the daily quota (with what they hold) still holds", async () => {
    const env = { ORCHD_ADMISSION_MAX_QUEUED_PER_KEY: "4", ORCHD_SHUTDOWN_GRACE_MS: "300", ORCHESTRATORD_NODE_TIMEOUT_MS: "3000" };
    const c = await HeadlessHoldingCluster.start({ nodeId: "team-node", model: MODEL, token: TEST_TOKEN, env });
    cleanup.push(() => c.close());
    const { node } = c;
    const admin = c.as(TEST_TOKEN);
    const flood = await createApiKey({ api: admin }, "flood", ["inference"]);
    const rated = await createApiKey({ api: admin }, "rated", ["inference"]);
    const quota = await createApiKey({ api: admin }, "quota", ["inference"]);
    expect((await admin(`/v2/auth/keys/${rated.id}/limits`, { method: "PUT", body: JSON.stringify({ requests_per_minute: 3 }) })).status).toBe(200);
    expect((await admin(`/v2/auth/keys/${quota.id}/limits`, { method: "PUT", body: JSON.stringify({ tokens_per_day: 10 }) })).status).toBe(200);
    const asFlood = c.as(flood.key);
    const asRated = c.as(rated.key);
    const asQuota = c.as(quota.key);

    // The operator's own task holds the only slot; everything below queues.
    const blocker = task();
    expect((await submit(admin, blocker)).status).toBe(202);
    await waitFor("the operator's task holds the slot", () => node.started.length === 1);
    const ids = new Map<string, string>();
    const queue = async (api: Api, who: string, n: number, refusal: string) => {
      for (let i = 0; i < n; i++) {
        const t = task();
        expect((await submit(api, t)).status).toBe(202);
        ids.set(t.task_id as string, who);
      }
      expect(await submit(api, task())).toMatchObject({ status: 429, code: refusal });
    };
    await queue(asFlood, "flood", 4, "ADMISSION_KEY_LIMIT");
    await queue(asRated, "rated", 3, "KEY_RATE_LIMITED");
    // 4 tokens held per task: 0+4+4 < 10 admits a third, 12 held refuses a fourth (retriable: none has run yet).
    await queue(asQuota, "quota", 3, "KEY_QUOTA_EXCEEDED");
    const before = { flood: await usageOf(admin, flood.id), rated: await usageOf(admin, rated.id), quota: await usageOf(admin, quota.id) };
    expect(before).toEqual({ flood: { requests: 4, tokens_in: 0, tokens_out: 0 }, rated: { requests: 3, tokens_in: 0, tokens_out: 0 }, quota: { requests: 3, tokens_in: 0, tokens_out: 0 } });

    await c.restart("SIGTERM");
    // The kept tasks hold the quota key's tokens again: it is not admitted past its quota by a restart.
    expect(await submit(asQuota, task())).toMatchObject({ status: 429, code: "KEY_QUOTA_EXCEEDED" });
    const listed = ApiKeyListResponseSchema.parse(await (await admin("/v2/auth/keys")).json()).keys;
    expect(Object.fromEntries(listed.filter((k) => [flood.id, rated.id, quota.id].includes(k.id)).map((k) => [k.name, k.queued_tasks]))).toEqual({ flood: 4, rated: 3, quota: 3 });

    await c.nodeBack();
    await waitFor("the first kept task dispatched", () => node.started.length >= 2, 15_000);
    const order = [ids.get(node.started[node.started.length - 1] as string)];
    for (let i = 0; i < 9; i++) order.push(ids.get((await node.finishNext()) as string));
    await node.finish(5_000);
    // Round robin across the three keys, from where the queue stood.
    expect(order.slice(0, 9).sort()).toEqual(["flood", "flood", "flood", "quota", "quota", "quota", "rated", "rated", "rated"]);
    for (let i = 0; i < 9; i += 3) expect(new Set(order.slice(i, i + 3)).size, order.join(",")).toBe(3);

    // Counted once (at their admission before the stop), their tokens to their own keys.
    await waitFor("all ended", async () => (await Promise.all([...ids.keys()].map((id) => stateOf(admin, id)))).every((s) => s === "completed"));
    expect(await usageOf(admin, flood.id)).toEqual({ requests: 4, tokens_in: 8, tokens_out: 4 });
    expect(await usageOf(admin, rated.id)).toEqual({ requests: 3, tokens_in: 6, tokens_out: 3 });
    expect(await usageOf(admin, quota.id)).toEqual({ requests: 3, tokens_in: 6, tokens_out: 3 });
    // 9 of 10 used: one more is admitted, and after it the day's quota refuses for good.
    const last = task();
    expect((await submit(asQuota, last)).status).toBe(202);
    await waitFor("it runs", () => node.started.includes(last.task_id as string));
    await node.finish(5_000);
    await waitFor("it ended", async () => (await stateOf(admin, last.task_id as string)) === "completed");
    const refused = await asQuota("/v2/tasks", { method: "POST", body: JSON.stringify(task()) });
    expect(refused.status).toBe(429);
    expect(refused.headers.get("x-should-retry")).toBe("false");
    expect(await refused.json()).toMatchObject({ code: "KEY_QUOTA_EXCEEDED", retriable: false });
  }, 90_000);
});

describe("a key revoked or re-limited while it has queued tasks", () => {
  async function cluster() {
    const orch = await startTestOrchestrator({ log_level: "warn", pool_probe_interval_ms: 0 });
    cleanup.push(() => orch.close());
    const node = await new HoldingNode("team-node", MODEL).start(orch.url, orch.token);
    cleanup.push(() => node.stop());
    return { orch, node, admin: as(() => orch.url, orch.token) };
  }

  it("a revoked key's queued tasks are canceled, not run for a client that may no longer use the cluster; the others keep their place", async () => {
    const { orch, node, admin } = await cluster();
    const revoked: CreatedApiKey = await createApiKey(orch, "leaked", ["inference"]);
    const other: CreatedApiKey = await createApiKey(orch, "colleague", ["inference"]);
    expect((await submit(admin, task())).status).toBe(202);
    await waitFor("the slot is held", () => node.started.length === 1);
    const leakedIds: string[] = [];
    for (let i = 0; i < 3; i++) {
      const t = task();
      expect((await submit(as(() => orch.url, revoked.key), t)).status).toBe(202);
      leakedIds.push(t.task_id as string);
    }
    const colleague = task();
    expect((await submit(as(() => orch.url, other.key), colleague)).status).toBe(202);

    expect((await admin(`/v2/auth/keys/${revoked.id}`, { method: "DELETE" })).status).toBeLessThan(300);
    await waitFor("the revoked key's queued tasks ended", async () => (await Promise.all(leakedIds.map((id) => stateOf(admin, id)))).every((s) => s === "canceled"), 10_000);
    const listed = ApiKeyListResponseSchema.parse(await (await admin("/v2/auth/keys")).json()).keys;
    expect(listed.find((k) => k.id === revoked.id)?.queued_tasks).toBe(0);
    // The colleague's task is next, not behind the revoked key's.
    expect(await node.finishNext()).toBe(colleague.task_id);
    // Admitted, so counted as requests; they generated nothing.
    expect(await usageOf(admin, revoked.id)).toEqual({ requests: 3, tokens_in: 0, tokens_out: 0 });
  }, 60_000);

  it("limits changed while a key has queued tasks: the queued ones (admitted under the old limits) run; the next request meets the new ones", async () => {
    const { orch, node, admin } = await cluster();
    const k = await createApiKey(orch, "relimited", ["inference"]);
    const asK = as(() => orch.url, k.key);
    expect((await submit(admin, task())).status).toBe(202);
    await waitFor("the slot is held", () => node.started.length === 1);
    const queued: string[] = [];
    for (let i = 0; i < 3; i++) {
      const t = task();
      expect((await submit(asK, t)).status).toBe(202);
      queued.push(t.task_id as string);
    }
    expect((await admin(`/v2/auth/keys/${k.id}/limits`, { method: "PUT", body: JSON.stringify({ requests_per_minute: 1, tokens_per_day: 5 }) })).status).toBe(200);
    // 12 tokens held by the queued three: over the new 5.
    expect(await submit(asK, task())).toMatchObject({ status: 429, code: "KEY_QUOTA_EXCEEDED" });
    for (let i = 0; i < 4; i++) await node.finish(5_000);
    await waitFor("the queued ones completed", async () => (await Promise.all(queued.map((id) => stateOf(admin, id)))).every((s) => s === "completed"));
    expect(await usageOf(admin, k.id)).toEqual({ requests: 3, tokens_in: 6, tokens_out: 3 });
    expect(await submit(asK, task())).toMatchObject({ status: 429, code: "KEY_QUOTA_EXCEEDED" });
  }, 60_000);
});
