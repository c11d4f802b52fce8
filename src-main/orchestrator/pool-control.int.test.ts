import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodeListResponseSchema } from "../../src-shared/nodes/node-info.js";
import { PoolHealthResponseSchema } from "../../src-shared/pools/pool-health.js";
import { TaskStatusSchema } from "../../src-shared/tasks/task-status.js";
import { testModelName } from "../../test-support/models.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { followTaskEvents, terminal } from "../../test-support/sse-client.js";
import { startWorkerProcess, type WorkerProcess } from "../../test-support/worker-process.js";
import { waitFor } from "../../test-support/wait-for.js";
import { taskRequest } from "../../test-support/fixtures.js";

// Pool control through the orchestrator against a real worker: drain stops placements at once,
// reload switches a pool to another model the node holds.
let orch: TestOrchestrator;
let worker: WorkerProcess;
const TINY = testModelName("tiny");
const TINY_B = testModelName("tiny-b");
let tinyPool = "";

const pools = async () => NodeListResponseSchema.parse(await (await orch.api("/v2/nodes")).json()).nodes.flatMap((n) => n.pools);
const task = taskRequest;

beforeAll(async () => {
  orch = await startTestOrchestrator();
  worker = await startWorkerProcess({ nodeId: "pc", models: ["tiny", "tiny-b"], orchestratorUrl: orch.url, token: orch.token, slots: 1 });
  await waitFor("two ready pools", async () => (await pools()).filter((p) => p.ready).length === 2);
  tinyPool = (await pools()).find((p) => p.model?.name === TINY)?.pool_id as string;
}, 40_000);

afterAll(async () => {
  await worker?.kill();
  await orch?.close();
});

describe("pool drain and reload through the orchestrator", () => {
  it("drain: 202, no new placement on the pool at once, health reports draining", async () => {
    const res = await orch.api(`/v2/pools/${tinyPool}/drain`, { method: "POST", body: JSON.stringify({ deadline_ms: 2000 }) });
    expect(res.status).toBe(202);
    const refused = await orch.api("/v2/tasks", { method: "POST", body: JSON.stringify(task(TINY)) });
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(await refused.json()).toMatchObject({ code: "POOL_UNAVAILABLE", retriable: true });
    await waitFor("draining reported", async () => PoolHealthResponseSchema.parse(await (await orch.api(`/v2/pools/${tinyPool}/health`)).json()).ready === false);
  });

  it("reload: the pool comes back serving the other model", async () => {
    const res = await orch.api(`/v2/pools/${tinyPool}/reload`, { method: "POST", body: JSON.stringify({ new_model_ref: TINY_B }) });
    expect(res.status).toBe(202);
    await waitFor("pool ready with tiny-b", async () => (await pools()).some((p) => p.pool_id === tinyPool && p.ready && p.model?.name === TINY_B));
    const pinned = task(TINY_B, { placement: { mode: "pin", pin_pool_id: tinyPool } });
    expect((await orch.api("/v2/tasks", { method: "POST", body: JSON.stringify(pinned) })).status).toBe(202);
    expect(terminal(await followTaskEvents(orch.url, orch.token, pinned.task_id as string).done)).toMatchObject({ event: "end", data: { tokens_out: 4 } });
    expect(TaskStatusSchema.parse(await (await orch.api(`/v2/tasks/${pinned.task_id}`)).json()).pool_id).toBe(tinyPool);
    // No pool serves tiny any more: a task for it is refused at once instead of waiting forever.
    const gone = await orch.api("/v2/tasks", { method: "POST", body: JSON.stringify(task(TINY)) });
    expect([404, 503]).toContain(gone.status);
  });

  it("reload to a model the node does not hold is refused with the reason", async () => {
    const res = await orch.api(`/v2/pools/${tinyPool}/reload`, { method: "POST", body: JSON.stringify({ new_model_ref: `sha256:${"f".repeat(64)}` }) });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: "MODEL_NOT_FOUND" });
    const unknownPool = await orch.api(`/v2/pools/nope/drain`, { method: "POST", body: JSON.stringify({ deadline_ms: 1 }) });
    expect(unknownPool.status).toBe(404);
    expect(await unknownPool.json()).toMatchObject({ code: "POOL_NOT_FOUND" });
  });
});
