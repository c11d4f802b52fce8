import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../../scripts/gguf/write-tiny-gguf.js";
import { NodeListResponseSchema } from "../../src-shared/nodes/node-info.js";
import { PoolHealthResponseSchema } from "../../src-shared/pools/pool-health.js";
import { StageModelResponseSchema, StagingJobListResponseSchema, StagingJobSchema, type StageModelResponse, type StagingJob } from "../../src-shared/staging/staging-job.js";
import { TaskStatusSchema } from "../../src-shared/tasks/task-status.js";
import { testModelPath } from "../../test-support/models.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { followTaskEvents } from "../../test-support/sse-client.js";
import { ensureBigModel, startStagingWorker } from "../../test-support/staging-cluster.js";
import { killAllWorkers, waitFor } from "../../test-support/worker-agent-process.js";

// A real orchestrator and four real worker agents: "src" holds the 53 MB generated model, "t1" and
// "t2" start without it; t1 has a pool serving tiny; "auto" runs auto pools (no pools configured). Staging with then.reload_pool points that pool
// at the staged model once its copy is verified; and one model to two nodes is timed from the
// control plane's store vs from the peer.
let orch: TestOrchestrator;
let bigPath = "";
let BIG = "";
let TINY_B = "";

const api = async (path: string, init?: RequestInit): Promise<{ status: number; body: unknown }> => {
  const res = await orch.api(path, init);
  const text = await res.text();
  return { status: res.status, body: text === "" ? null : JSON.parse(text) };
};
const postStage = (sha: string, body: Record<string, unknown>) => api(`/v2/catalog/models/sha256:${sha}/stage`, { method: "POST", body: JSON.stringify(body) });
const stage = async (sha: string, body: Record<string, unknown>): Promise<StageModelResponse> => {
  const res = await postStage(sha, body);
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return StageModelResponseSchema.parse(res.body);
};
const untilEnded = (id: string, timeoutMs = 60_000): Promise<StagingJob> =>
  waitFor(async () => StagingJobSchema.parse((await api(`/v2/catalog/jobs/${id}`)).body), (j) => ["completed", "failed", "canceled"].includes(j.state), timeoutMs, 20);
const reported = async (nodeId: string): Promise<string[]> => {
  const nodes = NodeListResponseSchema.parse((await api("/v2/nodes")).body).nodes;
  return nodes.find((n) => n.node_id === nodeId && n.status === "Online")?.models.map((m) => m.sha256) ?? [];
};

beforeAll(async () => {
  bigPath = await ensureBigModel();
  BIG = sha256Hex(await readFile(bigPath));
  TINY_B = sha256Hex(await readFile(testModelPath("tiny-b")));
  orch = await startTestOrchestrator({ pool_probe_interval_ms: 1000, node_suspect_ms: 1000, node_timeout_ms: 2000 });
  const base = { orchestratorUrl: orch.url, token: orch.token };
  await Promise.all([
    startStagingWorker({ ...base, nodeId: "src", models: { "staging-big.gguf": bigPath, "tiny-b.gguf": testModelPath("tiny-b") } }),
    startStagingWorker({ ...base, nodeId: "t1", models: { "tiny.gguf": testModelPath("tiny") }, pools: [{ id: "t1-pool", model: "tiny.gguf", slots: 1 }] }),
    startStagingWorker({ ...base, nodeId: "t2" }),
    startStagingWorker({ ...base, nodeId: "auto", pools: "auto" }),
  ]);
  await waitFor(() => reported("src"), (m) => m.includes(BIG) && m.includes(TINY_B), 30_000);
  await waitFor(() => reported("t1"), (m) => m.length === 1, 30_000);
  // t2 and auto report no model: wait until they are Online at all.
  const online = async () => NodeListResponseSchema.parse((await api("/v2/nodes")).body).nodes.filter((n) => n.status === "Online").map((n) => n.node_id);
  await waitFor(online, (ids) => ["t2", "auto"].every((id) => ids.includes(id)), 30_000);
}, 90_000);

afterAll(async () => {
  await killAllWorkers();
  await orch?.close();
});

describe("after staging: reload a pool with the staged model", () => {
  it("refuses (400) a pool that is unknown or not on a target node, starting no job", async () => {
    const other = await postStage(TINY_B, { nodes: ["t2"], then: { reload_pool: "t1-pool" } });
    expect(other.status).toBe(400);
    expect(other.body).toMatchObject({ code: "INVALID_PARAMS", pool_id: "t1-pool" });
    expect((await postStage(TINY_B, { nodes: ["t1"], then: { reload_pool: "no-such-pool" } })).status).toBe(400);
    expect(StagingJobListResponseSchema.parse((await api(`/v2/catalog/jobs?sha256=${TINY_B}`)).body).jobs).toEqual([]);
  });

  it("stages tiny-b to t1 with then.reload_pool: the pool ends up serving it and a pinned task completes on it", async () => {
    const { jobs } = await stage(TINY_B, { nodes: ["t1"], then: { reload_pool: "t1-pool" } });
    expect(jobs[0]?.then).toEqual({ reload_pool: "t1-pool" });
    expect(await untilEnded(jobs[0]?.job_id ?? "")).toMatchObject({ state: "completed", source_node_id: "src" });
    const health = await waitFor(async () => PoolHealthResponseSchema.parse((await api("/v2/pools/t1-pool/health")).body), (h) => h.ready && h.desired?.convergence.converged === true, 30_000, 100);
    expect(health.desired).toMatchObject({ model: TINY_B, draining: false });
    const taskId = randomUUID();
    const body = { task_id: taskId, session_id: randomUUID(), workload: "completion", model_ref: `sha256:${TINY_B}`, engine: "llamacpp", ctx: 256, priority: "interactive", prompt: "Hello", max_tokens: 4, deadline_ms: 60_000, placement: { mode: "pin", pin_node_id: "t1" } };
    await waitFor(() => orch.api("/v2/tasks", { method: "POST", body: JSON.stringify(body) }).then((r) => r.status), (s) => s === 202, 20_000, 200);
    await followTaskEvents(orch.url, orch.token, taskId).done;
    expect(TaskStatusSchema.parse((await api(`/v2/tasks/${taskId}`)).body)).toMatchObject({ state: "completed", node_id: "t1", pool_id: "t1-pool" });
  }, 90_000);
});

describe("after staging: auto pools", () => {
  it("a worker with auto pools starts one for the staged model by itself: a pinned task completes on it", async () => {
    const { jobs } = await stage(TINY_B, { nodes: ["auto"] });
    expect(await untilEnded(jobs[0]?.job_id ?? "")).toMatchObject({ state: "completed" });
    const pool = await waitFor(async () => NodeListResponseSchema.parse((await api("/v2/nodes")).body).nodes.find((n) => n.node_id === "auto")?.pools.find((p) => p.model?.sha256 === TINY_B && p.ready), (p) => p !== undefined, 30_000, 100);
    expect(pool?.pool_id).toBe("auto.tiny-b");
    const taskId = randomUUID();
    const body = { task_id: taskId, session_id: randomUUID(), workload: "completion", model_ref: `sha256:${TINY_B}`, engine: "llamacpp", ctx: 256, priority: "interactive", prompt: "Hello", max_tokens: 4, deadline_ms: 60_000, placement: { mode: "pin", pin_node_id: "auto" } };
    await waitFor(() => orch.api("/v2/tasks", { method: "POST", body: JSON.stringify(body) }).then((r) => r.status), (s) => s === 202, 20_000, 200);
    await followTaskEvents(orch.url, orch.token, taskId).done;
    expect(TaskStatusSchema.parse((await api(`/v2/tasks/${taskId}`)).body)).toMatchObject({ state: "completed", node_id: "auto", pool_id: "auto.tiny-b" });
  }, 60_000);

  it("a model an auto pool was reloaded to cannot be removed from the node (409): the pool would serve it from memory and its own model nothing", async () => {
    const tiny = sha256Hex(await readFile(testModelPath("tiny")));
    const { jobs } = await stage(tiny, { nodes: ["auto"], then: { reload_pool: "auto.tiny-b" } });
    expect(await untilEnded(jobs[0]?.job_id ?? "")).toMatchObject({ state: "completed" });
    await waitFor(async () => PoolHealthResponseSchema.parse((await api("/v2/pools/auto.tiny-b/health")).body), (h) => h.ready && h.desired?.convergence.converged === true, 30_000, 100);
    const refused = await api(`/v2/catalog/models/sha256:${tiny}/nodes/auto`, { method: "DELETE" });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: "CONFLICT", message: expect.stringContaining("auto.tiny-b was reloaded to this model") as unknown, retriable: false });
    expect(await reported("auto")).toContain(tiny);
  }, 60_000);
});

describe("three-node staging time: one model to two nodes", () => {
  const timeToTwo = async (source: string): Promise<number> => {
    for (const node of ["t1", "t2"]) {
      if (!(await reported(node)).includes(BIG)) continue;
      expect((await orch.api(`/v2/catalog/models/sha256:${BIG}/nodes/${node}`, { method: "DELETE" })).status).toBe(204);
      await waitFor(() => reported(node), (m) => !m.includes(BIG));
    }
    const started = performance.now();
    const { jobs } = await stage(BIG, { nodes: ["t1", "t2"], sources: [source] });
    const done = await Promise.all(jobs.map((j) => untilEnded(j.job_id)));
    const wall = performance.now() - started;
    for (const j of done) expect(j).toMatchObject({ state: "completed", source_node_id: source });
    // The jobs' own timestamps: from the request to the second verified copy, without the test's polling.
    return Math.min(wall, Math.max(...done.map((j) => j.finished_at_ms ?? 0)) - Math.min(...done.map((j) => j.created_at_ms)));
  };

  it("measures staging from the control plane's store vs from a peer", async () => {
    expect((await api("/v2/catalog/import", { method: "POST", body: JSON.stringify({ path: bigPath }) })).status).toBe(201);
    const size = (await readFile(bigPath)).length;
    const runs: Record<string, number[]> = { "control-plane": [], src: [] };
    for (let round = 0; round < 2; round++) {
      for (const source of ["control-plane", "src"]) runs[source]?.push(await timeToTwo(source));
    }
    for (const [source, ms] of Object.entries(runs)) {
      const text = ms.map((m) => `${(m / 1000).toFixed(2)} s (${((2 * size) / 1e6 / (m / 1000)).toFixed(0)} MB/s)`).join(", ");
      console.log(`three-node staging of ${size} bytes to two nodes from ${source === "src" ? "a peer" : "the control plane's store"}: ${text}`);
    }
  }, 180_000);
});
