import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodeListResponseSchema } from "../../src-shared/nodes/node-info.js";
import { PoolHealthResponseSchema } from "../../src-shared/pools/pool-health.js";
import type { TaskRequestV2Input } from "../../src-shared/tasks/task-request.js";
import { TaskStatusSchema } from "../../src-shared/tasks/task-status.js";
import { testModelName } from "../../test-support/models.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { followTaskEvents, terminal } from "../../test-support/sse-client.js";
import { startWorkerProcess, type WorkerProcess } from "../../test-support/worker-process.js";
import { waitFor } from "../../test-support/wait-for.js";
import { taskRequest } from "../../test-support/fixtures.js";

// Pool desired state is the orchestrator's, not a message to a worker: a drain and a reload asked
// while the worker is down survive an orchestrator restart and are carried out when the worker
// (a fresh process that never heard of them) next reports.
let orch: TestOrchestrator;
let worker: WorkerProcess | undefined;
const TINY = testModelName("tiny");
const TINY_B = testModelName("tiny-b");
let poolA = "";
let poolB = "";

const nodes = async () => NodeListResponseSchema.parse(await (await orch.api("/v2/nodes")).json()).nodes;
const pools = async () => (await nodes()).flatMap((n) => n.pools);
const health = async (poolId: string) => PoolHealthResponseSchema.parse(await (await orch.api(`/v2/pools/${poolId}/health`)).json());
const startWorker = () => startWorkerProcess({ nodeId: "dw", models: ["tiny", "tiny-b"], orchestratorUrl: orch.url, token: orch.token, slots: 1 });
const task = (model: string): TaskRequestV2Input => taskRequest(model);

beforeAll(async () => {
  orch = await startTestOrchestrator({ node_suspect_ms: 1500, node_timeout_ms: 3000 });
  worker = await startWorker();
  await waitFor("two ready pools", async () => (await pools()).filter((p) => p.ready).length === 2);
  poolA = (await pools()).find((p) => p.model?.name === TINY)?.pool_id as string;
  poolB = (await pools()).find((p) => p.model?.name === TINY_B)?.pool_id as string;
}, 40_000);

afterAll(async () => {
  await worker?.kill("SIGKILL");
  await orch?.close();
});

describe("pool desired state across an orchestrator restart", () => {
  it("accepts a drain and a reload while the worker is down, as desired state", async () => {
    await worker?.kill("SIGKILL");
    worker = undefined;
    await waitFor("node no longer Online", async () => (await nodes())[0]?.status !== "Online");
    expect((await orch.api(`/v2/pools/${poolA}/drain`, { method: "POST", body: JSON.stringify({ deadline_ms: 1000 }) })).status).toBe(202);
    expect((await orch.api(`/v2/pools/${poolB}/reload`, { method: "POST", body: JSON.stringify({ new_model_ref: TINY }) })).status).toBe(202);
    expect((await health(poolA)).desired).toMatchObject({ draining: true, convergence: { converged: false } });
    expect((await health(poolB)).desired).toMatchObject({ draining: false, convergence: { converged: false, detail: expect.stringContaining(`reloading to ${TINY}`) } });
  });

  it("still holds them after the restart, and the fresh worker is brought to them when it reports", async () => {
    await orch.restart();
    const [node] = await nodes();
    expect(node?.status).toBe("Offline");
    expect(node?.desired_pools.map((d) => [d.pool_id, d.draining, d.convergence.converged]).sort()).toEqual([[poolA, true, false], [poolB, false, false]].sort());

    worker = await startWorker();
    // A pool still loading on the fresh worker is also "not ready, not draining": the wait includes the
    // reconciler's commands, or it could end before the drain was even sent.
    const sent = (): boolean => orch.logs.some((l) => l.includes(`pool ${poolA}: drain sent to node dw`)) && orch.logs.some((l) => l.includes(`pool ${poolB}: reload sent to node dw`));
    await waitFor("pool A drained and pool B serving tiny", async () => {
      if (!sent()) return false;
      const ps = await pools();
      const a = ps.find((p) => p.pool_id === poolA);
      const b = ps.find((p) => p.pool_id === poolB);
      return a !== undefined && !a.ready && !a.draining && a.model?.name === TINY && b?.ready === true && b.model?.name === TINY && (await health(poolA)).desired?.convergence.converged === true;
    }, 40_000);
    // The commands reached the fresh worker from the reconciler (before the restart they could not).
    expect(orch.logs.some((l) => l.includes(`pool ${poolA}: drain sent to node dw`))).toBe(true);
    expect(orch.logs.some((l) => l.includes(`pool ${poolB}: reload sent to node dw`))).toBe(true);
    expect((await health(poolA)).desired).toMatchObject({ draining: true, convergence: { converged: true, detail: "drained" } });
    expect((await health(poolB)).desired?.convergence).toMatchObject({ converged: true, detail: `serving ${TINY}` });
    const placed = task(TINY);
    expect((await orch.api("/v2/tasks", { method: "POST", body: JSON.stringify(placed) })).status).toBe(202);
    expect(terminal(await followTaskEvents(orch.url, orch.token, placed.task_id as string).done)).toMatchObject({ event: "end" });
    expect(TaskStatusSchema.parse(await (await orch.api(`/v2/tasks/${placed.task_id}`)).json()).pool_id).toBe(poolB);
  }, 60_000);

  it("resume clears the drain: the stopped pool is restarted and serves again", async () => {
    expect((await orch.api(`/v2/pools/${poolA}/resume`, { method: "POST" })).status).toBe(202);
    await waitFor("pool A ready again", async () => (await pools()).some((p) => p.pool_id === poolA && p.ready));
    expect((await health(poolA)).desired).toMatchObject({ draining: false, convergence: { converged: true } });
  }, 40_000);
});
