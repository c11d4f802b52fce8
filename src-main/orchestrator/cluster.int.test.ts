import { randomUUID } from "node:crypto";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CatalogAvailabilityResponseSchema } from "../../src-shared/catalog/availability.js";
import { NodeListResponseSchema } from "../../src-shared/nodes/node-info.js";
import type { TaskRequestV2Input } from "../../src-shared/tasks/task-request.js";
import { TaskStatusSchema } from "../../src-shared/tasks/task-status.js";
import { testModelName } from "../../test-support/models.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { followTaskEvents, terminal } from "../../test-support/sse-client.js";
import { startWorkerProcess, type WorkerProcess } from "../../test-support/worker-process.js";
import { waitFor } from "../../test-support/wait-for.js";
import { taskRequest } from "../../test-support/fixtures.js";

// A real orchestrator with two real worker agents running llama.cpp on generated models:
// node-a holds `medium` and `tiny`; node-b holds `medium`, `tiny` and `tiny-b` (only on B).
let orch: TestOrchestrator;
let a: WorkerProcess;
let b: WorkerProcess;


async function readyPools(): Promise<Map<string, string[]>> {
  const nodes = NodeListResponseSchema.parse(await (await orch.api("/v2/nodes")).json()).nodes;
  return new Map(nodes.filter((n) => n.status === "Online").map((n) => [n.node_id, n.pools.filter((p) => p.ready).map((p) => p.pool_id)]));
}

async function waitForCluster(expected: Record<string, number>): Promise<void> {
  await waitFor(`nodes ${JSON.stringify(expected)} ready`, async () => {
    const ready = await readyPools();
    return Object.entries(expected).every(([node, pools]) => (ready.get(node)?.length ?? 0) >= pools);
  });
}

function task(model: string, over: Partial<TaskRequestV2Input> = {}): TaskRequestV2Input {
  return taskRequest(model, { prompt: "Hello world, the cat sat on the mat.", max_tokens: 16, deadline_ms: 60_000, temperature: 0, ...over });
}

async function submit(body: TaskRequestV2Input): Promise<Response> {
  return orch.api("/v2/tasks", { method: "POST", body: JSON.stringify(body) });
}

async function status(taskId: string) {
  return TaskStatusSchema.parse(await (await orch.api(`/v2/tasks/${taskId}`)).json());
}

const MEDIUM = testModelName("medium");
const TINY = testModelName("tiny");
const TINY_B = testModelName("tiny-b");

beforeAll(async () => {
  orch = await startTestOrchestrator({ pool_probe_interval_ms: 500 });
  [a, b] = await Promise.all([
    startWorkerProcess({ nodeId: "node-a", models: ["medium", "tiny"], orchestratorUrl: orch.url, token: orch.token, slots: 2 }),
    startWorkerProcess({ nodeId: "node-b", models: ["medium", "tiny", "tiny-b"], orchestratorUrl: orch.url, token: orch.token, slots: 2 }),
  ]);
  await waitForCluster({ "node-a": 2, "node-b": 3 });
}, 60_000);

afterAll(async () => {
  await Promise.all([a?.kill(), b?.kill()]);
  await orch?.close();
});

describe("orchestrator with two real worker agents", () => {
  it("streams a completion from real llama.cpp: started → token* → end, nothing after", async () => {
    const body = task(TINY, { max_tokens: 12 });
    const res = await submit(body);
    expect(res.status).toBe(202);
    expect(res.headers.get("x-budget-tokens-remaining")).toBeTruthy();
    const admission = (await res.json()) as { queue_position: number; streams: { sse: string } };
    expect(admission.streams.sse).toBe(`/v2/tasks/${body.task_id}/events`);
    const events = (await followTaskEvents(orch.url, orch.token, body.task_id as string).done).map((e) => e.event);
    expect(events[0]?.event).toBe("started");
    // Narration is for ?verbose=true streams only.
    expect(events.some((e) => e.event === "metrics" && "human" in e.data)).toBe(false);
    const tokens = events.filter((e) => e.event === "token");
    expect(tokens).toHaveLength(12);
    expect(tokens.map((t) => (t.event === "token" ? t.data.i : -1))).toEqual([...Array(12).keys()]);
    expect(events.at(-1)).toMatchObject({ event: "end", data: { tokens_out: 12, stop_reason: "max_tokens" } });
    expect(events.filter((e) => e.event === "end" || e.event === "error")).toHaveLength(1);
  });

  it("places a task for a model only node-b holds on node-b and explains why node-a lost", async () => {
    const body = task(TINY_B);
    await submit(body);
    const narrated = (await followTaskEvents(orch.url, orch.token, body.task_id as string, true).done).map((e) => e.event);
    expect(narrated.find((e) => e.event === "metrics" && typeof e.data.human === "string")?.data.human).toMatch(/^placed on node-b\//);
    const s = await status(body.task_id as string);
    expect(s).toMatchObject({ state: "completed", node_id: "node-b" });
    const losers = s.placement?.candidates.filter((c) => c.node_id === "node-a") ?? [];
    expect(losers.length).toBeGreaterThan(0);
    expect(losers.every((c) => c.reasons_rejected.includes("model not present on this pool"))).toBe(true);
  });

  it("spreads concurrent tasks least-loaded across both nodes", async () => {
    const bodies = [task(MEDIUM, { max_tokens: 2000 }), task(MEDIUM, { max_tokens: 2000 })];
    const streams = [];
    for (const body of bodies) {
      expect((await submit(body)).status).toBe(202);
      const stream = followTaskEvents(orch.url, orch.token, body.task_id as string);
      await stream.tokens(1);
      streams.push(stream);
    }
    const nodes = await Promise.all(bodies.map(async (body) => (await status(body.task_id as string)).node_id));
    expect(new Set(nodes)).toEqual(new Set(["node-a", "node-b"]));
    for (const body of bodies) await orch.api(`/v2/tasks/${body.task_id}/cancel`, { method: "POST" });
    await Promise.all(streams.map((s) => s.done));
  });

  it("cancel during streaming ends with end{canceled:true} and no later token; a queued cancel never starts", async () => {
    const running = task(MEDIUM, { max_tokens: 4000 });
    await submit(running);
    const stream = followTaskEvents(orch.url, orch.token, running.task_id as string);
    await stream.tokens(5);
    expect((await orch.api(`/v2/tasks/${running.task_id}/cancel`, { method: "POST" })).status).toBe(204);
    const events = await stream.done;
    const last = events.at(-1)?.event;
    expect(last).toMatchObject({ event: "end", data: { canceled: true } });
    const endIndex = events.findIndex((e) => e.event.event === "end");
    expect(events.slice(endIndex + 1)).toEqual([]);
    expect((await status(running.task_id as string)).state).toBe("canceled");

    // Fill every medium slot (2 per node), then queue one more and cancel it before it starts.
    const fillers = [0, 1, 2, 3].map(() => task(MEDIUM, { max_tokens: 4000 }));
    for (const f of fillers) await submit(f);
    const fillerStreams = fillers.map((f) => followTaskEvents(orch.url, orch.token, f.task_id as string));
    await Promise.all(fillerStreams.map((s) => s.tokens(1)));
    const queued = task(MEDIUM, { max_tokens: 8 });
    const admitted = (await (await submit(queued)).json()) as { queue_position: number };
    expect(admitted.queue_position).toBe(0);
    expect((await status(queued.task_id as string)).state).toBe("queued");
    const queuedStream = followTaskEvents(orch.url, orch.token, queued.task_id as string);
    await orch.api(`/v2/tasks/${queued.task_id}/cancel`, { method: "POST" });
    const queuedEvents = (await queuedStream.done).map((e) => e.event);
    expect(queuedEvents.map((e) => e.event)).toEqual(["started", "end"]);
    expect(queuedEvents[1]).toMatchObject({ data: { canceled: true, tokens_out: 0 } });
    for (const f of fillers) await orch.api(`/v2/tasks/${f.task_id}/cancel`, { method: "POST" });
    await Promise.all(fillerStreams.map((s) => s.done));
  });

  it("keeps a session on the pool that holds its KV cache (affinity beats the id tie-break)", async () => {
    const session = randomUUID();
    const first = task(TINY, { session_id: session, max_tokens: 4, placement: { mode: "prefer", prefer_pools: [poolOf("node-b", TINY)], allow_fallback: true } });
    await submit(first);
    await followTaskEvents(orch.url, orch.token, first.task_id as string).done;
    expect((await status(first.task_id as string)).node_id).toBe("node-b");
    const second = task(TINY, { session_id: session, max_tokens: 4 });
    await submit(second);
    await followTaskEvents(orch.url, orch.token, second.task_id as string).done;
    const s = await status(second.task_id as string);
    expect(s.node_id).toBe("node-b");
    expect(s.placement?.decision?.tie_breakers?.[0]).toMatch(/session affinity/);
    const info = (await (await orch.api(`/v2/sessions/${session}`)).json()) as { turns: number; kv_warmth: boolean; pool_id: string };
    expect(info).toMatchObject({ turns: 2, kv_warmth: true, pool_id: poolOf("node-b", TINY) });
    // A task of another session ties on load and goes to the lower id.
    const other = task(TINY, { max_tokens: 4 });
    await submit(other);
    await followTaskEvents(orch.url, orch.token, other.task_id as string).done;
    expect((await status(other.task_id as string)).node_id).toBe("node-a");
  });

  it("availability lists replicated and single-node models", async () => {
    const availability = CatalogAvailabilityResponseSchema.parse(await (await orch.api("/v2/catalog/availability")).json());
    const shaOf = (name: string) => availability.models.find((m) => m.name === name)?.sha256;
    expect(availability.total_models).toBe(3);
    expect(availability.single_node_models).toEqual([shaOf(TINY_B)]);
    expect([...availability.replicated_models].sort()).toEqual([shaOf(MEDIUM), shaOf(TINY)].sort());
    expect(availability.models.find((m) => m.name === TINY_B)?.nodes).toEqual(["node-b"]);
  });

  it("the official openai npm client streams a chat completion", async () => {
    const client = new OpenAI({ baseURL: `${orch.url}/v1`, apiKey: orch.token });
    const models = await client.models.list();
    expect(models.data.map((m) => m.id).sort()).toEqual([MEDIUM, TINY, TINY_B].sort());
    const stream = await client.chat.completions.create({ model: TINY, messages: [{ role: "user", content: "Say hello" }], max_tokens: 10, stream: true, temperature: 0 });
    let text = "";
    let finish: string | null = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(finish).toBe("length");
    const full = await client.chat.completions.create({ model: TINY, messages: [{ role: "user", content: "Say hello" }], max_tokens: 10, temperature: 0 });
    expect(full.choices[0]?.message.content).toBe(text);
    expect(full.usage?.completion_tokens).toBe(10);
    await expect(client.chat.completions.create({ model: "no-such-model", messages: [{ role: "user", content: "x" }] })).rejects.toMatchObject({ status: 404 });
  });
});

describe("joining with a dashboard-created key", () => {
  it("a worker started with an API key (not the orchestrator's token) registers and serves tasks", async () => {
    const created = (await (await orch.api("/v2/auth/keys", { method: "POST", body: JSON.stringify({ name: "worker join", scopes: ["worker"] }) })).json()) as { key: string };
    const c = await startWorkerProcess({ nodeId: "node-c", models: ["tiny-chatml"], orchestratorUrl: orch.url, token: created.key, slots: 1 });
    try {
      await waitForCluster({ "node-c": 1 });
      const body = task(testModelName("tiny-chatml"), { max_tokens: 5 });
      expect((await submit(body)).status).toBe(202);
      expect(terminal(await followTaskEvents(orch.url, orch.token, body.task_id as string).done)).toMatchObject({ event: "end", data: { tokens_out: 5 } });
      expect((await status(body.task_id as string)).node_id).toBe("node-c");
      const pool = NodeListResponseSchema.parse(await (await orch.api("/v2/nodes")).json()).nodes.find((n) => n.node_id === "node-c")?.pools[0]?.pool_id as string;
      expect(await (await orch.api(`/v2/pools/${pool}/health`)).json()).toMatchObject({ live: true, ready: true });
    } finally {
      await c.kill();
    }
  });
});

describe("failures (run last: they kill workers)", () => {
  it("SIGKILL of a worker mid-stream gives WORKER_RESET within 1 s and new tasks go to the other node", async () => {
    const body = task(MEDIUM, { max_tokens: 4000, placement: { mode: "prefer", prefer_pools: [poolOf("node-a", MEDIUM)], allow_fallback: true } });
    await submit(body);
    const stream = followTaskEvents(orch.url, orch.token, body.task_id as string);
    await stream.tokens(3);
    expect((await status(body.task_id as string)).node_id).toBe("node-a");
    const killedAt = performance.now();
    process.kill(a.pid, "SIGKILL");
    const events = await stream.done;
    const error = events.find((e) => e.event.event === "error");
    expect(error?.event).toMatchObject({ event: "error", data: { code: "WORKER_RESET" } });
    expect((error?.at ?? Infinity) - killedAt).toBeLessThan(1000);
    expect(events.at(-1)?.event.event).toBe("error");

    const next = task(MEDIUM, { max_tokens: 8 });
    expect((await submit(next)).status).toBe(202);
    const nextEvents = await followTaskEvents(orch.url, orch.token, next.task_id as string).done;
    expect(terminal(nextEvents)).toMatchObject({ event: "end" });
    expect((await status(next.task_id as string)).node_id).toBe("node-b");
    await a.kill();
  });

  it("a worker that dies before the first token gets its task re-placed and completed elsewhere", async () => {
    a = await startWorkerProcess({ nodeId: "node-a", models: ["medium", "tiny"], orchestratorUrl: orch.url, token: orch.token, slots: 2 });
    await waitForCluster({ "node-a": 2, "node-b": 3 });
    process.kill(a.pid, "SIGSTOP"); // hung: still Online for a moment, accepts TCP, never answers
    const body = task(MEDIUM, { max_tokens: 8, placement: { mode: "prefer", prefer_pools: [poolOf("node-a", MEDIUM)], allow_fallback: true } });
    await submit(body);
    const stream = followTaskEvents(orch.url, orch.token, body.task_id as string);
    await waitFor("dispatch to node-a", async () => (await status(body.task_id as string)).attempts === 1);
    process.kill(a.pid, "SIGKILL");
    const events = await stream.done;
    expect(terminal(events)).toMatchObject({ event: "end", data: { tokens_out: 8 } });
    const s = await status(body.task_id as string);
    expect(s).toMatchObject({ state: "completed", node_id: "node-b", attempts: 2 });
    await a.kill();
  });

  it("when the only node holding a model hangs before the first token, the task ends at once with a retriable error, not at its deadline", async () => {
    const c = await startWorkerProcess({ nodeId: "node-c", models: ["tiny-chatml"], orchestratorUrl: orch.url, token: orch.token, slots: 1 });
    try {
      await waitForCluster({ "node-c": 1 });
      process.kill(c.pid, "SIGSTOP"); // hung: still Online for a moment, accepts TCP, never answers
      const body = task(testModelName("tiny-chatml"), { max_tokens: 8, deadline_ms: 60_000 });
      const started = Date.now();
      expect((await submit(body)).status).toBe(202);
      const events = await followTaskEvents(orch.url, orch.token, body.task_id as string).done;
      const elapsed = Date.now() - started;
      expect(terminal(events)).toMatchObject({ event: "error", data: { code: "REPLICA_EXHAUSTED", retriable: true } });
      expect((terminal(events)?.data as { retry_after_ms?: number }).retry_after_ms).toBeGreaterThan(0);
      // Hang detection (node_timeout_ms) bounds it, far below the 60 s deadline it used to wait for.
      expect(elapsed).toBeLessThan(20_000);
      expect(await status(body.task_id as string)).toMatchObject({ state: "failed", attempts: 1 });
    } finally {
      process.kill(c.pid, "SIGKILL");
      await c.kill();
    }
  });

  it("after an orchestrator restart the agents re-register by themselves and the node list is intact", async () => {
    await orch.restart();
    const before = NodeListResponseSchema.parse(await (await orch.api("/v2/nodes")).json()).nodes.map((n) => n.node_id);
    expect(before).toContain("node-b");
    await waitForCluster({ "node-b": 3 });
    const body = task(TINY_B, { max_tokens: 4 });
    expect((await submit(body)).status).toBe(202);
    expect(terminal(await followTaskEvents(orch.url, orch.token, body.task_id as string).done)).toMatchObject({ event: "end" });
  });
});

/** The auto-discovered pool serving `model` on `node` (worker pool ids derive from model names). */
let poolCache: Map<string, string> | undefined;
function poolOf(node: string, model: string): string {
  const id = poolCache?.get(`${node}/${model}`);
  if (id === undefined) throw new Error(`no pool for ${model} on ${node}; call refreshPools first`);
  return id;
}
beforeAll(async () => {
  const nodes = NodeListResponseSchema.parse(await (await orch.api("/v2/nodes")).json()).nodes;
  poolCache = new Map(nodes.flatMap((n) => n.pools.map((p) => [`${n.node_id}/${p.model?.name}`, p.pool_id] as const)));
});
