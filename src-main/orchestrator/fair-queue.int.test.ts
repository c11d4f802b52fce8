import { afterEach, describe, expect, it } from "vitest";
import { ApiKeyListResponseSchema, type CreatedApiKey } from "../../src-shared/dashboard/api-keys.js";
import type { TaskRequestV2Input } from "../../src-shared/tasks/task-request.js";
import { TaskStatusSchema } from "../../src-shared/tasks/task-status.js";
import { createApiKey } from "../../test-support/api-keys.js";
import { taskRequest } from "../../test-support/fixtures.js";
import { startTestOrchestrator, TEST_TOKEN, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { authedApi, HeadlessHoldingCluster, HoldingNode, type Api } from "../../test-support/holding-node.js";
import { waitFor } from "../../test-support/wait-for.js";

// Fair share across API keys, through a real orchestrator over HTTP with its real SQLite journal. One
// simulated node with one slot holds every task it is given until the test finishes it, so the order in
// which the orchestrator dispatches is exactly the order of the node's infer requests.
const MODEL = "fair-sim";

const as = authedApi;
const task = (over: Partial<TaskRequestV2Input> = {}) => taskRequest(MODEL, { deadline_ms: 300_000, ...over });

async function submit(api: Api, body: TaskRequestV2Input): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await api("/v2/tasks", { method: "POST", body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

async function metric(orch: TestOrchestrator, line: string): Promise<number> {
  const text = await (await orch.api("/metrics")).text();
  const found = text.split("\n").find((l) => l.startsWith(`${line} `));
  return found === undefined ? 0 : Number(found.slice(line.length + 1));
}

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

async function inProcessCluster(overrides: Parameters<typeof startTestOrchestrator>[0]): Promise<{ orch: TestOrchestrator; node: HoldingNode; a: CreatedApiKey; b: CreatedApiKey }> {
  const orch = await startTestOrchestrator({ log_level: "warn", pool_probe_interval_ms: 0, ...overrides });
  cleanup.push(() => orch.close());
  const node = await new HoldingNode("fair-node", MODEL).start(orch.url, orch.token);
  cleanup.push(() => node.stop());
  const a = await createApiKey(orch, "team-a", ["inference"]);
  const b = await createApiKey(orch, "team-b", ["inference"]);
  return { orch, node, a, b };
}

describe("fair share across API keys", () => {
  it("key A queues 200 tasks, then key B one: B starts after one more of A's, not after 200; positions and predictions say so", async () => {
    const { orch, node, a, b } = await inProcessCluster({ admission_capacity: 1000, admission_max_queued_per_key: 500 });
    const asA = as(() => orch.url, a.key);
    const asB = as(() => orch.url, b.key);

    const first = task();
    expect((await submit(asA, first)).status).toBe(202);
    await waitFor("A's first task holds the slot", () => node.started.length === 1);
    const aIds: string[] = [];
    let aLast: Record<string, unknown> = {};
    for (let i = 0; i < 200; i++) {
      const t = task();
      const r = await submit(asA, t);
      expect(r.status).toBe(202);
      aIds.push(t.task_id as string);
      aLast = r.body;
    }
    expect(aLast).toMatchObject({ queue_position: 199 });
    expect(await metric(orch, "orchd_queue_identities")).toBe(1);

    const bTask = task();
    const bAdmitted = await submit(asB, bTask);
    expect(bAdmitted.status).toBe(202);
    // One of A's tasks is in B's round ahead of it; the other 199 come after.
    expect(bAdmitted.body).toMatchObject({ queue_position: 1 });
    expect(bAdmitted.body.predicted_start_ms as number).toBeLessThan(aLast.predicted_start_ms as number);
    expect(await metric(orch, "orchd_queue_identities")).toBe(2);
    const bStatus = TaskStatusSchema.parse(await (await asB(`/v2/tasks/${bTask.task_id}`)).json());
    expect(bStatus.queue_position).toBe(1);
    // A's tasks behind B moved back by one, and the queue tells them so (A's second task is now at 2).
    expect(TaskStatusSchema.parse(await (await asA(`/v2/tasks/${aIds[1]}`)).json()).queue_position).toBe(2);

    // Dispatches after B's admission until B starts: at most one per key with queued work.
    const dispatched: string[] = [];
    while (!dispatched.includes(bTask.task_id as string)) dispatched.push(await node.finishNext());
    expect(dispatched).toEqual([aIds[0], bTask.task_id]);
    // Then A's tasks go on in their own order (FIFO within a key).
    expect([await node.finishNext(), await node.finishNext()]).toEqual([aIds[1], aIds[2]]);
  }, 60_000);

  it("a key's queued tasks for a busy model do not hold up another key's task for a model with a free slot", async () => {
    const { orch, node, a, b } = await inProcessCluster({ admission_capacity: 1000, admission_max_queued_per_key: 500 });
    const other = await new HoldingNode("other-node", "fair-other").start(orch.url, orch.token);
    cleanup.push(() => other.stop());
    const asA = as(() => orch.url, a.key);
    const asB = as(() => orch.url, b.key);
    expect((await submit(asA, task())).status).toBe(202);
    await waitFor("A's first task holds the fair-sim slot", () => node.started.length === 1);
    expect((await submit(asB, task({ model_ref: "fair-other" }))).status).toBe(202);
    await waitFor("B's first task holds the fair-other slot", () => other.started.length === 1);
    for (let i = 0; i < 50; i++) expect((await submit(asA, task())).status).toBe(202);
    // B's next task waits for fair-other, behind one of A's fair-sim tasks in the fair order.
    const bNext = task({ model_ref: "fair-other" });
    expect((await submit(asB, bNext)).body).toMatchObject({ queue_position: 1 });
    // fair-other frees up while fair-sim stays busy: B's task is placed past A's, which can only wait.
    expect(await other.finishNext()).toBe(bNext.task_id);
    expect(node.started).toHaveLength(1);
  }, 60_000);

  it("per-key cap: A past admission_max_queued_per_key gets 429 ADMISSION_KEY_LIMIT on every surface while B and the operator are admitted", async () => {
    const { orch, node, a, b } = await inProcessCluster({ admission_capacity: 100, admission_max_queued_per_key: 20, retry_after_ms: 1500 });
    const asA = as(() => orch.url, a.key);
    const asB = as(() => orch.url, b.key);
    expect((await submit(asA, task())).status).toBe(202);
    await waitFor("A's first task holds the slot", () => node.started.length === 1);
    // The running task is not queued: A may queue 20 more.
    for (let i = 0; i < 20; i++) expect((await submit(asA, task())).status).toBe(202);

    const before = await metric(orch, 'tasks_rejected_total{reason="ADMISSION_KEY_LIMIT"}');
    const refused = await submit(asA, task());
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("2"); // 1.5 s, rounded up
    expect(refused.headers.get("x-backoff-ms")).toBe("1500");
    expect(refused.body).toMatchObject({ code: "ADMISSION_KEY_LIMIT", retriable: true, retry_after_ms: 1500, policy_label: "per-key", details: { setting: "admission_max_queued_per_key", limit: 20 } });
    expect(refused.body.message).toContain("admission_max_queued_per_key 20");

    // The same refusal on the compatible surfaces, in each one's error shape, with the same headers.
    const surfaces: [string, unknown, (body: string) => void][] = [
      ["/v1/completions", { model: MODEL, prompt: "hi", max_tokens: 2 }, (t) => expect(JSON.parse(t)).toMatchObject({ error: { type: "rate_limit_error", code: "ADMISSION_KEY_LIMIT" } })],
      ["/v1/chat/completions", { model: MODEL, messages: [{ role: "user", content: "hi" }], max_tokens: 2, stream: true }, (t) => expect(JSON.parse(t)).toMatchObject({ error: { type: "rate_limit_error", code: "ADMISSION_KEY_LIMIT" } })],
      ["/v1/messages", { model: MODEL, max_tokens: 2, messages: [{ role: "user", content: "hi" }] }, (t) => expect(JSON.parse(t)).toMatchObject({ type: "error", error: { type: "rate_limit_error" } })],
      ["/api/generate", { model: MODEL, prompt: "hi", stream: false, options: { num_predict: 2 } }, (t) => expect(JSON.parse(t)).toHaveProperty("error")],
      ["/api/chat", { model: MODEL, messages: [{ role: "user", content: "hi" }], stream: true }, (t) => expect(JSON.parse(t)).toHaveProperty("error")],
    ];
    for (const [path, body, shape] of surfaces) {
      const res = await asA(path, { method: "POST", body: JSON.stringify(body) });
      const text = await res.text();
      expect({ path, status: res.status }).toEqual({ path, status: 429 });
      expect(res.headers.get("retry-after"), path).toBe("2"); // 1.5 s, rounded up
      expect(text, path).toContain("admission_max_queued_per_key");
      shape(text);
    }
    expect(await metric(orch, 'tasks_rejected_total{reason="ADMISSION_KEY_LIMIT"}')).toBe(before + 1 + surfaces.length);

    // B still gets in, and so does the operator's own token past 20 (it is not limited).
    expect((await submit(asB, task())).status).toBe(202);
    for (let i = 0; i < 25; i++) expect((await submit(orch.api.bind(orch), task())).status).toBe(202);
    expect(await metric(orch, "orchd_queue_identities")).toBe(3);
    // Each key's share, as an operator sees it in the key list (admin).
    const listed = ApiKeyListResponseSchema.parse(await (await orch.api("/v2/auth/keys")).json()).keys;
    expect(listed.find((k) => k.id === a.id)?.queued_tasks).toBe(20);
    expect(listed.find((k) => k.id === b.id)?.queued_tasks).toBe(1);
    expect(listed.find((k) => k.source === "config")?.queued_tasks).toBe(25);
    // Once one of A's tasks starts, A may queue one more.
    await node.finishNext();
    expect((await submit(asA, task())).status).toBe(202);
    expect((await submit(asA, task())).status).toBe(429);
  }, 60_000);
});

describe("fair order across a crash", () => {
  it("queued tasks revived after a SIGKILL keep their owner and their fair order", async () => {
    const env = { ORCHD_ADMISSION_CAPACITY: "500", ORCHD_ADMISSION_MAX_QUEUED_PER_KEY: "100", ORCHESTRATORD_NODE_TIMEOUT_MS: "3000" };
    const c = await HeadlessHoldingCluster.start({ nodeId: "fair-node", model: MODEL, token: TEST_TOKEN, env });
    cleanup.push(() => c.close());
    const { node } = c;
    const admin = c.as(TEST_TOKEN);
    const a = await createApiKey({ api: admin }, "team-a", ["inference"]);
    const b = await createApiKey({ api: admin }, "team-b", ["inference"]);
    const asA = c.as(a.key);
    const asB = c.as(b.key);

    expect((await submit(asA, task())).status).toBe(202);
    await waitFor("A's first task holds the slot", () => node.started.length === 1);
    const aIds: string[] = [];
    for (let i = 0; i < 30; i++) {
      const t = task();
      expect((await submit(asA, t)).status).toBe(202);
      aIds.push(t.task_id as string);
    }
    const bIds: string[] = [];
    const bPositions: unknown[] = [];
    for (let i = 0; i < 3; i++) {
      const t = task();
      const r = await submit(asB, t);
      expect(r.status).toBe(202);
      bIds.push(t.task_id as string);
      bPositions.push(r.body.queue_position);
    }
    expect(bPositions).toEqual([1, 3, 5]);

    await c.restart("SIGKILL");
    // Restored from the journal, held for the node to re-register: the same interleaving as before the crash.
    const position = async (api: Api, id: string) => TaskStatusSchema.parse(await (await api(`/v2/tasks/${id}`)).json()).queue_position;
    expect(await Promise.all(bIds.map((id) => position(asB, id)))).toEqual([1, 3, 5]);
    expect(await position(asA, aIds[0] as string)).toBe(0);
    // Each task still belongs to its key: A cannot see B's.
    expect((await asA(`/v2/tasks/${bIds[0]}`)).status).not.toBe(200);
    // And the per-key count came back with them: B has 3 of its 100.
    expect((await submit(asB, task())).status).toBe(202);

    await c.nodeBack();
    await waitFor("the first revived task dispatched", () => node.started.length >= 2, 15_000);
    const dispatched = [node.started[node.started.length - 1]];
    for (let i = 0; i < 5; i++) dispatched.push(await node.finishNext());
    expect(dispatched).toEqual([aIds[0], bIds[0], aIds[1], bIds[1], aIds[2], bIds[2]]);
  }, 90_000);
});
