import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodeListResponseSchema } from "../../src-shared/nodes/node-info.js";
import type { TaskRequestV2Input } from "../../src-shared/tasks/task-request.js";
import { TaskListResponseSchema, TaskStatusSchema } from "../../src-shared/tasks/task-status.js";
import { freePort, startHeadlessOrchestrator, type HeadlessOrchestrator } from "../../test-support/headless-process.js";
import { testModelName } from "../../test-support/models.js";
import { followTaskEvents, terminal } from "../../test-support/sse-client.js";
import { startWorkerProcess, type WorkerProcess } from "../../test-support/worker-process.js";
import { waitFor } from "../../test-support/wait-for.js";
import { taskRequest } from "../../test-support/fixtures.js";

// Crash-proof admission: a real orchestrator process SIGKILLed with tasks running and queued, then
// started again on the same port and data dir; the worker re-registers by itself.
const TOKEN = "crash-token-0123456789abcdef0123456789abcdef";
const MEDIUM = testModelName("medium");
let dataDir: string;
let port: number;
let orch: HeadlessOrchestrator;
let worker: WorkerProcess;

const api = (path: string, init: RequestInit = {}) => fetch(`${orch.url}${path}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json", ...init.headers } });
const status = async (id: string) => TaskStatusSchema.parse(await (await api(`/v2/tasks/${id}`)).json());
const task = (over: Partial<TaskRequestV2Input> = {}): TaskRequestV2Input => taskRequest(MEDIUM, { ctx: 4096, prompt: "Once upon a time", max_tokens: 16, deadline_ms: 120_000, temperature: 0, ...over });


async function readyPool(): Promise<boolean> {
  const nodes = NodeListResponseSchema.parse(await (await api("/v2/nodes")).json()).nodes;
  return nodes.some((n) => n.status === "Online" && n.pools.some((p) => p.ready));
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "llorch-crash-"));
  port = await freePort();
  orch = await startHeadlessOrchestrator({ port, dataDir, token: TOKEN });
  worker = await startWorkerProcess({ nodeId: "crash-node", models: ["medium"], orchestratorUrl: orch.url, token: TOKEN, slots: 2 });
  await waitFor("a ready pool", readyPool);
}, 90_000);

afterAll(async () => {
  await worker?.kill();
  await orch?.kill("SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
});

describe("an orchestrator SIGKILLed with 2 running and 4 queued tasks", () => {
  it("ends the running ones with one recorded error, runs every acknowledged queued one, and keeps Idempotency-Keys", async () => {
    const running = [task({ max_tokens: 3500 }), task({ max_tokens: 3500 })];
    for (const body of running) expect((await api("/v2/tasks", { method: "POST", body: JSON.stringify(body) })).status).toBe(202);
    await waitFor("both long tasks streaming", async () => (await Promise.all(running.map((t) => status(t.task_id as string)))).every((s) => s.state === "running"));
    const queued = [task(), task(), task(), task()];
    const key = `retry-${randomUUID()}`;
    for (const [i, body] of queued.entries()) {
      const res = await api("/v2/tasks", { method: "POST", body: JSON.stringify(body), headers: i === 0 ? { "idempotency-key": key } : {} });
      expect(res.status).toBe(202);
    }
    for (const body of queued) expect((await status(body.task_id as string)).state).toBe("queued");
    // Token counts reach the journal once a second.
    await new Promise((r) => setTimeout(r, 1500));

    await orch.kill("SIGKILL");
    orch = await startHeadlessOrchestrator({ port, dataDir, token: TOKEN });

    for (const body of running) {
      const s = await status(body.task_id as string);
      expect(s).toMatchObject({ state: "failed", node_id: "crash-node" });
      expect(s.error?.code).toBe("WORKER_RESET");
      expect(s.tokens_out).toBeGreaterThan(0);
      // A reconnecting client gets the one terminal event, not a 404.
      expect(terminal(await followTaskEvents(orch.url, TOKEN, body.task_id as string).done)).toMatchObject({ event: "error", data: { code: "WORKER_RESET" } });
    }

    // The acknowledged queued tasks run once the worker has re-registered (it does so by itself).
    for (const body of queued) {
      const events = await followTaskEvents(orch.url, TOKEN, body.task_id as string).done;
      expect(terminal(events)).toMatchObject({ event: "end", data: { tokens_out: 16 } });
    }

    // A client retrying its first POST with the same Idempotency-Key gets the same task, not a new run.
    const retry = await api("/v2/tasks", { method: "POST", body: JSON.stringify({ ...queued[0], task_id: randomUUID() }), headers: { "idempotency-key": key } });
    expect(retry.status).toBe(202);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(((await retry.json()) as { task_id: string }).task_id).toBe(queued[0]?.task_id);
  }, 120_000);
});

describe("GET /v2/tasks after an orchestrator SIGKILL", () => {
  // The queue board is where an operator (or a soak run) checks that every accepted task ended once:
  // what finished or was interrupted before the crash lives only in the journal after it.
  it("lists every task accepted before the crash once, in one terminal state; ?state= filters them too", async () => {
    const list = async (query = "") => TaskListResponseSchema.parse(await (await api(`/v2/tasks?limit=1000${query}`)).json()).tasks;
    const finished = task({ max_tokens: 4 });
    expect((await api("/v2/tasks", { method: "POST", body: JSON.stringify(finished) })).status).toBe(202);
    expect(terminal(await followTaskEvents(orch.url, TOKEN, finished.task_id as string).done)).toMatchObject({ event: "end" });
    const running = task({ max_tokens: 3500 });
    expect((await api("/v2/tasks", { method: "POST", body: JSON.stringify(running) })).status).toBe(202);
    await waitFor("the long task streaming", async () => (await status(running.task_id as string)).state === "running");

    await orch.kill("SIGKILL");
    orch = await startHeadlessOrchestrator({ port, dataDir, token: TOKEN });

    const tasks = await list();
    const ids = tasks.map((t) => t.task_id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(tasks.find((t) => t.task_id === finished.task_id)).toMatchObject({ state: "completed", tokens_out: 4 });
    expect(tasks.find((t) => t.task_id === running.task_id)).toMatchObject({ state: "failed", error: { code: "WORKER_RESET" } });
    const failed = (await list("&state=failed")).map((t) => t.task_id);
    expect(failed).toContain(running.task_id);
    expect(failed).not.toContain(finished.task_id);
    expect((await list("&state=completed")).map((t) => t.task_id)).toContain(finished.task_id);
  }, 120_000);
});

describe("compatible-surface requests queued at an orchestrator SIGKILL", () => {
  // A /v1 or /api request belongs to its connection (its client hanging up cancels it), and a crash
  // closes every connection: re-queueing it would run a generation nobody can receive, ahead of the
  // clients retrying. A keyed one is different: its retry (same Idempotency-Key) gets the result.
  it("an unkeyed one ends canceled and never runs after the restart; a keyed one runs for its retry", async () => {
    await waitFor("a ready pool", readyPool, 30_000);
    const blockers = [task({ max_tokens: 3500 }), task({ max_tokens: 3500 })];
    for (const body of blockers) expect((await api("/v2/tasks", { method: "POST", body: JSON.stringify(body) })).status).toBe(202);
    await waitFor("both slots busy", async () => (await Promise.all(blockers.map((t) => status(t.task_id as string)))).every((s) => s.state === "running"));
    // Streams: their head (with X-Task-Id) goes out after a second in the queue.
    const open = async (key?: string) => {
      const ac = new AbortController();
      const res = await api("/v1/completions", { method: "POST", signal: ac.signal, headers: key === undefined ? {} : { "idempotency-key": key }, body: JSON.stringify({ model: MEDIUM, prompt: "Once upon a time", max_tokens: 8, temperature: 0, stream: true }) });
      expect(res.status).toBe(200);
      // Kept: undici closes the connection of a Response whose unread body is garbage collected, and the
      // orchestrator cancels an unkeyed request whose client hung up (under CI load it did, before the kill).
      return { id: res.headers.get("x-task-id") as string, ac, res };
    };
    const unkeyed = await open();
    const keyed = await open(`crash-${randomUUID()}`);
    for (const c of [unkeyed, keyed]) expect((await status(c.id)).state).toBe("queued");

    await orch.kill("SIGKILL");
    for (const c of [unkeyed, keyed]) {
      c.ac.abort();
      await c.res.body?.cancel().catch(() => undefined);
    }
    orch = await startHeadlessOrchestrator({ port, dataDir, token: TOKEN });

    expect(await status(unkeyed.id)).toMatchObject({ state: "canceled", node_id: null, tokens_out: 0 });
    await waitFor("the keyed task ran", async () => (await status(keyed.id)).state === "completed", 60_000);
    expect((await status(unkeyed.id)).node_id).toBeNull();
    expect(terminal(await followTaskEvents(orch.url, TOKEN, unkeyed.id).done)).toMatchObject({ event: "end", data: { canceled: true } });
  }, 120_000);
});

describe("an orchestrator stopped gracefully (SIGTERM) with queued tasks", () => {
  // A graceful stop (an upgrade, `systemctl restart`, quitting the app) used to fail every queued task
  // with 503 while a crash kept the /v2 and keyed ones for the next start: stopping cleanly lost more.
  it("keeps queued /v2 and keyed tasks for the next start, which runs them; an unkeyed compatible request gets a retriable 503", async () => {
    // A short grace: the long tasks are cut (WORKER_RESET) instead of the stop waiting 10 s for them.
    await orch.kill("SIGTERM");
    orch = await startHeadlessOrchestrator({ port, dataDir, token: TOKEN, env: { ORCHD_SHUTDOWN_GRACE_MS: "300" } });
    await waitFor("a ready pool", readyPool, 30_000);
    const blockers = [task({ max_tokens: 3500 }), task({ max_tokens: 3500 })];
    for (const body of blockers) expect((await api("/v2/tasks", { method: "POST", body: JSON.stringify(body) })).status).toBe(202);
    await waitFor("both slots busy", async () => (await Promise.all(blockers.map((t) => status(t.task_id as string)))).every((s) => s.state === "running"));

    const followed = task();
    const unfollowed = task();
    for (const body of [followed, unfollowed]) expect((await api("/v2/tasks", { method: "POST", body: JSON.stringify(body) })).status).toBe(202);
    const follower = followTaskEvents(orch.url, TOKEN, followed.task_id as string);
    // It breaks when the stop closes its connection (no terminal event): checked below.
    const followerBroke = follower.done.then(() => false, () => true);
    const open = async (key?: string) => {
      const res = await api("/v1/completions", { method: "POST", headers: key === undefined ? {} : { "idempotency-key": key }, body: JSON.stringify({ model: MEDIUM, prompt: "Once upon a time", max_tokens: 8, temperature: 0, stream: true }) });
      expect(res.status).toBe(200);
      return { id: res.headers.get("x-task-id") as string, body: res.text().catch((err: unknown) => `cut: ${String(err)}`) };
    };
    const unkeyed = await open();
    const keyed = await open(`stop-${randomUUID()}`);
    for (const id of [followed.task_id as string, unfollowed.task_id as string, unkeyed.id, keyed.id]) expect((await status(id)).state).toBe("queued");

    await orch.kill("SIGTERM");
    // The unkeyed request's client is told, in its stream, to retry; the kept tasks' connections close.
    expect(await unkeyed.body).toContain("POOL_UNAVAILABLE");
    // The stream breaks (the connection closed) with no terminal event: the task is not over.
    expect(await followerBroke).toBe(true);
    expect(follower.events.map((e) => e.event.event)).toContain("started");
    expect(follower.events.filter((e) => e.event.event === "end" || e.event.event === "error")).toEqual([]);

    orch = await startHeadlessOrchestrator({ port, dataDir, token: TOKEN });
    for (const body of blockers) expect((await status(body.task_id as string)).error?.code).toBe("WORKER_RESET");
    expect(await status(unkeyed.id)).toMatchObject({ state: "failed", node_id: null, error: { code: "POOL_UNAVAILABLE" } });
    for (const body of [followed, unfollowed]) {
      // A client coming back with Last-Event-ID (here: from the start) follows it to its one end.
      const events = await followTaskEvents(orch.url, TOKEN, body.task_id as string).done;
      expect(terminal(events)).toMatchObject({ event: "end", data: { tokens_out: 16 } });
      expect(events.filter((e) => e.event.event === "end" || e.event.event === "error")).toHaveLength(1);
    }
    await waitFor("the keyed request ran for its retry", async () => (await status(keyed.id)).state === "completed", 60_000);
  }, 150_000);
});

describe("a request arriving right after an orchestrator restart", () => {
  // The workers re-register on their next heartbeat (a second or so): until then no node holds any
  // model, and a client retrying its request after the crash got 503 "no node holds the model".
  it("waits in the queue for the worker to re-register and gets its answer, not a 503", async () => {
    await waitFor("a ready pool", readyPool, 30_000);
    await orch.kill("SIGKILL");
    orch = await startHeadlessOrchestrator({ port, dataDir, token: TOKEN });
    const nodesAtRequest = NodeListResponseSchema.parse(await (await api("/v2/nodes")).json()).nodes;
    const res = await api("/v1/completions", { method: "POST", body: JSON.stringify({ model: MEDIUM, prompt: "Once upon a time", max_tokens: 4, temperature: 0 }) });
    // Only meaningful if the worker had not re-registered yet when the request came.
    expect(nodesAtRequest.filter((n) => n.status === "Online" && n.pools.some((p) => p.ready))).toEqual([]);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { usage: { completion_tokens: number } }).usage.completion_tokens).toBe(4);
  }, 60_000);

  it("waits no longer than the node timeout when the worker does not come back: then a retriable 503", async () => {
    await worker.kill("SIGKILL");
    await orch.kill("SIGKILL");
    orch = await startHeadlessOrchestrator({ port, dataDir, token: TOKEN });
    const started = Date.now();
    const res = await api("/v1/completions", { method: "POST", body: JSON.stringify({ model: MEDIUM, prompt: "Once upon a time", max_tokens: 4 }) });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("MODEL_NOT_AVAILABLE");
    // The hold is the node timeout (5 s by default), with room for a loaded machine.
    expect(Date.now() - started).toBeLessThan(15_000);
  }, 60_000);
});
