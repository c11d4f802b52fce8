// Outlier ejection of pools that fail tasks before their first token. A node reporting absurd capacity
// (a billion slots, a petabyte free) wins every first placement and holds each task with keep-alives until
// worker_first_token_timeout_ms (node-capacity-lure.int.test.ts): every lured client paid that timeout.
// Now, after 3 such failures in a row, its pool is ejected from placement and clients go straight to the
// honest nodes. A pool that is the only one holding its model is never skipped: it still serves what it can.
import type { ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { sseFrame, startProtocolNode, type ProtocolNode } from "../../test-support/protocol-node.js";
import { taskRequest } from "../../test-support/fixtures.js";
import { waitFor } from "../../test-support/wait-for.js";

const MODEL = "eject-model";
const SOLO_MODEL = "eject-solo-model";
const BUSY_MODEL = "eject-busy-model";
const CUT_MODEL = "eject-cut-model";
const FIRST_TOKEN_MS = 1500;
const QUEUED = 2000;

let orch: TestOrchestrator;
const nodes: ProtocolNode[] = [];
const held: ServerResponse[] = [];
const infers = { rogue: 0, honest: 0, solo: 0, busy: 0, cut: 0 };
/** While set, the honest nodes hold their tasks after one token (busy, but healthy: no failure). */
let holdHonest = false;
let keepAlive: NodeJS.Timeout;

function answer(res: ServerResponse): void {
  res.writeHead(200, { "content-type": "text/event-stream" });
  res.write(sseFrame("started", { queue_position: 0, predicted_start_ms: 0 }));
  res.end(sseFrame("token", { t: " ok", i: 0 }) + sseFrame("end", { tokens_out: 1, decode_ms: 1, decode_time_ms: 1, stop_reason: "max_tokens", tokens_in: 2 }));
}

beforeAll(async () => {
  // A long base time: the ejection outlasts the test.
  orch = await startTestOrchestrator({ pool_probe_interval_ms: 0, worker_first_token_timeout_ms: FIRST_TOKEN_MS, outlier_consecutive_failures: 3, outlier_ejection_base_ms: 120_000, admission_capacity: 5000 });
  for (const i of [0, 1]) {
    nodes.push(await startProtocolNode({
      orchUrl: orch.url, token: orch.token, nodeId: `honest-${i}`, modelName: MODEL, slots: 2, poolId: `honest-${i}-p0`, vramFreeBytes: 8 * 2 ** 30,
      onInfer: (res) => {
        infers.honest++;
        if (!holdHonest) return void setTimeout(() => answer(res), 10);
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.write(sseFrame("started", { queue_position: 0, predicted_start_ms: 0 }) + sseFrame("token", { t: " ok", i: 0 }));
        held.push(res);
      },
    }));
  }
  // Lies about its capacity, then only keeps the task alive until the orchestrator gives up on it.
  nodes.push(await startProtocolNode({
    orchUrl: orch.url, token: orch.token, nodeId: "rogue", modelName: MODEL, slots: 1_000_000_000, poolId: "rogue-p0", vramFreeBytes: 2 ** 50,
    onInfer: (res) => {
      infers.rogue++;
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(sseFrame("started", { queue_position: 0, predicted_start_ms: 0 }));
      held.push(res);
    },
  }));
  // The only holder of its model: refuses its first 3 tasks (its engine was reloading, say), then works.
  nodes.push(await startProtocolNode({
    orchUrl: orch.url, token: orch.token, nodeId: "solo", modelName: SOLO_MODEL, slots: 2, poolId: "solo-p0",
    onInfer: (res) => {
      if (++infers.solo <= 3) return void res.writeHead(503, { "content-type": "application/json" }).end(JSON.stringify({ code: "POOL_UNAVAILABLE", message: "engine reloading", retriable: true }));
      answer(res);
    },
  }));
  // Healthy but saturated: refuses every task as busy, the ways a worker (or a proxy before it) says so.
  nodes.push(await startProtocolNode({
    orchUrl: orch.url, token: orch.token, nodeId: "busy", modelName: BUSY_MODEL, slots: 2, poolId: "busy-p0",
    onInfer: (res) => {
      const n = infers.busy++ % 3;
      if (n === 0) return void res.writeHead(429, { "content-type": "application/json" }).end(JSON.stringify({ code: "REPLICA_EXHAUSTED", message: "all slots busy", retriable: true, retry_after_ms: 500 }));
      if (n === 1) return void res.writeHead(429, { "content-type": "text/plain" }).end("too many requests");
      // The worker-agent's own answer when its slots and slot queue are full (pool-serving.ts).
      res.writeHead(503, { "content-type": "application/json" }).end(JSON.stringify({ code: "REPLICA_EXHAUSTED", message: "pool busy-p0: all 2 slots busy and 8 tasks waiting", retriable: true, retry_after_ms: 500 }));
    },
  }));
  // Unhealthy: answers 500 with no envelope (a crashing worker behind a proxy).
  nodes.push(await startProtocolNode({ orchUrl: orch.url, token: orch.token, nodeId: "cut", modelName: CUT_MODEL, slots: 2, poolId: "cut-p0", onInfer: (res) => (infers.cut++, res.writeHead(500, { "content-type": "text/plain" }).end("engine crashed")) }));
  keepAlive = setInterval(() => {
    for (const r of held) if (!r.writableEnded) r.write(": keep-alive\n\n");
  }, 500);
  for (const id of ["honest-0", "honest-1", "rogue", "solo", "busy", "cut"]) {
    await waitFor(`${id} Online`, async () => ((await (await orch.api(`/v2/nodes/${id}`)).json()) as { status: string }).status === "Online");
  }
}, 30_000);

afterAll(async () => {
  clearInterval(keepAlive);
  for (const n of nodes) await n.stop();
  await orch?.close();
});

async function chat(model: string, timeoutMs = FIRST_TOKEN_MS + 10_000) {
  const started = performance.now();
  try {
    const res = await orch.api("/v1/chat/completions", { method: "POST", body: JSON.stringify({ model, max_tokens: 4, messages: [{ role: "user", content: "hi" }] }), signal: AbortSignal.timeout(timeoutMs) });
    const body = (await res.json()) as { id?: string; choices?: { message: { content: string } }[] };
    return { status: res.status, ms: Math.round(performance.now() - started), id: body.id ?? "", text: body.choices?.[0]?.message.content ?? "" };
  } catch (err) {
    return { status: 0, ms: Math.round(performance.now() - started), id: "", text: String(err) };
  }
}

interface TaskView { placement: { decision: { pool_id: string; tie_breakers?: string[] } | null; candidates: { pool_id: string; eligible: boolean; reasons_rejected: string[] }[] } | null }

async function placementOf(chatId: string): Promise<TaskView["placement"]> {
  const res = await orch.api(`/v2/tasks/${chatId.replace(/^chatcmpl-/, "")}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as TaskView).placement;
}

describe("outlier ejection of a pool failing tasks before the first token", () => {
  it("after 3 lured failures the lying pool gets no first placements while ejected, and clients' latency drops", async () => {
    // One at a time: each task is placed while every pool is idle, so the petabyte wins each tie.
    const lured = [];
    for (let i = 0; i < 3; i++) lured.push(await chat(MODEL));
    const after = [];
    for (let i = 0; i < 6; i++) after.push(await chat(MODEL));
    console.log(`lured: ${JSON.stringify(lured.map((r) => [r.status, r.ms]))}; after ejection: ${JSON.stringify(after.map((r) => [r.status, r.ms]))}; rogue infers ${infers.rogue}, honest ${infers.honest}`);
    for (const r of [...lured, ...after]) expect([r.status, r.text]).toEqual([200, " ok"]);
    // The lure worked 3 times (each client waited out the first-token timeout), then never again.
    expect(infers.rogue).toBe(3);
    for (const r of lured) expect(r.ms).toBeGreaterThanOrEqual(FIRST_TOKEN_MS);
    for (const r of after) expect(r.ms).toBeLessThan(FIRST_TOKEN_MS);

    // The placement explanation names the ejection.
    const placement = await placementOf(after[0]?.id ?? "");
    expect(placement?.decision?.pool_id).toMatch(/^honest-/);
    const rogue = placement?.candidates.find((c) => c.pool_id === "rogue-p0");
    expect(rogue?.eligible).toBe(false);
    expect(rogue?.reasons_rejected.join("; ")).toMatch(/pool ejected until \d{4}-\d\d-\d\dT[\d:.]+Z after 3 failures in a row before the first token/);

    // The pool's health says so, a counter counts it, the node's history and the log record it.
    const health = (await (await orch.api("/v2/pools/rogue-p0/health")).json()) as { ejection?: { until_ms: number; ejections: number; reason: string } | null };
    expect(health.ejection?.ejections).toBe(1);
    expect(health.ejection?.until_ms).toBeGreaterThan(Date.now() + 60_000);
    const honestHealth = (await (await orch.api("/v2/pools/honest-0-p0/health")).json()) as { ejection?: unknown };
    expect(honestHealth.ejection).toBeNull();
    expect(await (await orch.api("/metrics")).text()).toMatch(/^orchd_pool_ejections_total\{pool_id="rogue-p0"\} 1$/m);
    const node = (await (await orch.api("/v2/nodes/rogue")).json()) as { status: string; events: { kind: string; message: string }[] };
    expect(node.events.some((e) => e.kind === "pool" && /pool rogue-p0: ejected from placement for 120 s/.test(e.message))).toBe(true);
    expect(orch.logs.some((l) => l.includes("pool rogue-p0 ejected from placement"))).toBe(true);
    // The node itself is fine by every other measure: still Online.
    expect(node.status).toBe("Online");
  }, 60_000);

  it("the only pool holding a model is never skipped: after 3 failures it still gets tasks, and says why", async () => {
    const failed = [];
    for (let i = 0; i < 3; i++) failed.push(await chat(SOLO_MODEL));
    // Nothing else can serve these: they fail (the pool refused), one attempt each.
    expect(failed.map((r) => r.status)).toEqual([503, 503, 503]);
    const metrics = await (await orch.api("/metrics")).text();
    expect(metrics).toMatch(/^orchd_pool_ejections_total\{pool_id="solo-p0"\} 1$/m);
    // Ejected, but the last holder: the next task is placed there anyway and served.
    const served = await chat(SOLO_MODEL, 8_000);
    console.log(`solo: ${JSON.stringify([...failed, served].map((r) => [r.status, r.ms]))}`);
    expect([served.status, served.text]).toEqual([200, " ok"]);
    const placement = await placementOf(served.id);
    expect(placement?.decision?.pool_id).toBe("solo-p0");
    expect(placement?.decision?.tie_breakers?.join("; ")).toMatch(/pool ejected until .* but no other pool can serve the model: placed here anyway/);
    // Its first token ended the ejection: it works again.
    const health = (await (await orch.api("/v2/pools/solo-p0/health")).json()) as { ejection?: unknown };
    expect(health.ejection).toBeNull();
  }, 60_000);

  it("a pool refusing tasks because it is busy (429, REPLICA_EXHAUSTED) is never ejected; one answering 500 is", async () => {
    const busy = [];
    for (let i = 0; i < 6; i++) busy.push(await chat(BUSY_MODEL, 8_000));
    const cut = [];
    for (let i = 0; i < 3; i++) cut.push(await chat(CUT_MODEL, 8_000));
    console.log(`busy: ${JSON.stringify(busy.map((r) => [r.status, r.ms]))} (${infers.busy} refusals); cut: ${JSON.stringify(cut.map((r) => [r.status, r.ms]))} (${infers.cut} cuts)`);
    // Every refusal reached the pool (6 tasks, each at least once): more than the 3 that eject.
    expect(infers.busy).toBeGreaterThanOrEqual(6);
    expect(infers.cut).toBeGreaterThanOrEqual(3);
    const metrics = await (await orch.api("/metrics")).text();
    expect(metrics).not.toMatch(/^orchd_pool_ejections_total\{pool_id="busy-p0"\}/m);
    expect(metrics).toMatch(/^orchd_pool_ejections_total\{pool_id="cut-p0"\} 1$/m);
    const health = async (poolId: string) => ((await (await orch.api(`/v2/pools/${poolId}/health`)).json()) as { ejection?: unknown }).ejection;
    expect(await health("busy-p0")).toBeNull();
    expect(await health("cut-p0")).not.toBeNull();
  }, 90_000);

  it("a deep queue waiting for the busy healthy pools is not walked and placed pass after pass while the lying pool is ejected", async () => {
    // The rogue pool is still ejected (first test, 120 s) and reports a billion free slots. Fill the honest slots.
    holdHonest = true;
    const submit = async (n: number) => {
      let next = 0;
      await Promise.all(Array.from({ length: 8 }, async () => {
        while (next < n) {
          next++;
          const res = await orch.api("/v2/tasks", { method: "POST", body: JSON.stringify(taskRequest(MODEL, { deadline_ms: 600_000 })) });
          expect(res.status).toBe(202);
          await res.body?.cancel();
        }
      }));
    };
    const honestBefore = infers.honest;
    await submit(4);
    await waitFor("the 4 honest slots held", () => infers.honest - honestBefore === 4, 10_000);
    await submit(QUEUED);
    const decisions = async () => [...(await (await orch.api("/metrics")).text()).matchAll(/^\w*placement_decisions_total\{[^}]*\} (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
    const before = await decisions();
    // Passes run 4 times a second and on every heartbeat: 3 s is a dozen passes or more.
    await new Promise((r) => setTimeout(r, 3000));
    const during = (await decisions()) - before;
    console.log(`placement decisions in 3 s with ${QUEUED} queued tasks and the rogue pool ejected: ${during}`);
    // Before: every pass walked the queue and decided each task (the ejected pool's free slots counted as capacity): ≥ 10 × 2,000.
    expect(during).toBeLessThan(QUEUED);
    expect(infers.rogue).toBe(3);
    const queued = (await (await orch.api("/v2/pools/honest-0-p0/health")).json()) as { ejection?: unknown };
    expect(queued.ejection).toBeNull();
  }, 120_000);
});
