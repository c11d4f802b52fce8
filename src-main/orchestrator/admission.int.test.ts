import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodeListResponseSchema } from "../../src-shared/nodes/node-info.js";
import type { TaskRequestV2Input } from "../../src-shared/tasks/task-request.js";
import { testModelName } from "../../test-support/models.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { followTaskEvents, terminal } from "../../test-support/sse-client.js";
import { startWorkerProcess, type WorkerProcess } from "../../test-support/worker-process.js";
import { taskRequest } from "../../test-support/fixtures.js";

// One worker with a single 1-slot pool and a queue of capacity 1: the smallest cluster where the
// full-queue policies are visible.
let orch: TestOrchestrator;
let worker: WorkerProcess;
const MEDIUM = testModelName("medium");

function task(over: Partial<TaskRequestV2Input> = {}): TaskRequestV2Input {
  return taskRequest(MEDIUM, { ctx: 4096, max_tokens: 3500, deadline_ms: 60_000, ...over });
}
const submit = (body: TaskRequestV2Input) => orch.api("/v2/tasks", { method: "POST", body: JSON.stringify(body) });

async function metric(line: string): Promise<number> {
  const text = await (await orch.api("/metrics")).text();
  const found = text.split("\n").find((l) => l.startsWith(`${line} `));
  return found === undefined ? 0 : Number(found.slice(line.length + 1));
}

beforeAll(async () => {
  orch = await startTestOrchestrator({ admission_capacity: 1, admission_policy: "reject", retry_after_ms: 1500 });
  worker = await startWorkerProcess({ nodeId: "solo", models: ["medium"], orchestratorUrl: orch.url, token: orch.token, slots: 1 });
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const nodes = NodeListResponseSchema.parse(await (await orch.api("/v2/nodes")).json()).nodes;
    if (nodes[0]?.status === "Online" && nodes[0].pools[0]?.ready) break;
    await new Promise((r) => setTimeout(r, 50));
  }
}, 40_000);

afterAll(async () => {
  await worker?.kill();
  await orch?.close();
});

describe("full queue policies with a real worker", () => {
  it("reject: a full queue answers 429 ADMISSION_REJECT with Retry-After and X-Backoff-Ms; drop-lru tells the dropped task", async () => {
    const running = task();
    await submit(running);
    const runningStream = followTaskEvents(orch.url, orch.token, running.task_id as string);
    await runningStream.tokens(1);

    const queued = task({ priority: "batch" });
    const accepted = await submit(queued);
    expect(accepted.status).toBe(202);
    expect(await accepted.json()).toMatchObject({ queue_position: 0 });
    const queuedStream = followTaskEvents(orch.url, orch.token, queued.task_id as string);

    // The queue is full: depth / capacity is what the QueueSaturation alert watches.
    expect(await metric("orchd_admission_capacity")).toBe(1);
    expect(await metric('queue_depth{priority="batch"}')).toBe(1);

    const before = await metric('tasks_rejected_total{reason="ADMISSION_REJECT"}');
    const rejected = await submit(task());
    expect(rejected.status).toBe(429);
    expect(rejected.headers.get("retry-after")).toBe("2"); // 1.5 s, rounded up
    expect(rejected.headers.get("x-backoff-ms")).toBe("1500");
    expect(await rejected.json()).toMatchObject({ code: "ADMISSION_REJECT", retriable: true, retry_after_ms: 1500, policy_label: "reject" });
    expect(await metric('tasks_rejected_total{reason="ADMISSION_REJECT"}')).toBe(before + 1);
    expect(await metric('admission_backpressure_events_total{policy="reject"}')).toBeGreaterThanOrEqual(1);

    // Switch the policy at run time, as an operator would in Settings.
    const settings = await orch.api("/v2/settings", { method: "PUT", body: JSON.stringify({ admission_policy: "drop-lru" }) });
    expect(await settings.json()).toMatchObject({ admission_policy: "drop-lru", admission_capacity: 1 });
    const newcomer = task({ max_tokens: 4 });
    expect((await submit(newcomer)).status).toBe(202);
    const dropped = await queuedStream.done;
    expect(terminal(dropped)).toMatchObject({ event: "error", data: { code: "QUEUE_FULL_DROP_LRU", retriable: true } });
    expect(dropped.filter((e) => e.event.event === "token")).toEqual([]);
    expect(await metric('tasks_rejected_total{reason="QUEUE_FULL_DROP_LRU"}')).toBe(1);

    // The newcomer runs once the slot frees up.
    const newcomerStream = followTaskEvents(orch.url, orch.token, newcomer.task_id as string);
    await orch.api(`/v2/tasks/${running.task_id}/cancel`, { method: "POST" });
    expect(terminal(await runningStream.done)).toMatchObject({ event: "end", data: { canceled: true } });
    expect(terminal(await newcomerStream.done)).toMatchObject({ event: "end", data: { tokens_out: 4 } });
  });

  it("predicted_start_ms grows with the work queued ahead (measured tokens/s, not a constant)", async () => {
    await orch.api("/v2/settings", { method: "PUT", body: JSON.stringify({ admission_capacity: 10 }) });
    expect(await metric("orchd_admission_capacity")).toBe(10);
    const running = task();
    await submit(running);
    const stream = followTaskEvents(orch.url, orch.token, running.task_id as string);
    await stream.tokens(1);
    const first = (await (await submit(task({ max_tokens: 1000 }))).json()) as { task_id: string; predicted_start_ms: number };
    const second = (await (await submit(task({ max_tokens: 1000 }))).json()) as { task_id: string; predicted_start_ms: number };
    expect(first.predicted_start_ms).toBeGreaterThan(0);
    expect(second.predicted_start_ms).toBeGreaterThan(first.predicted_start_ms);
    for (const id of [running.task_id, first.task_id, second.task_id]) await orch.api(`/v2/tasks/${id}/cancel`, { method: "POST" });
    await stream.done;
  });

  it("pool health probes against the real worker succeed and are timed", async () => {
    const pool = NodeListResponseSchema.parse(await (await orch.api("/v2/nodes")).json()).nodes[0]?.pools[0]?.pool_id as string;
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && (await metric(`orchd_pool_health_checks_total{pool_id="${pool}",outcome="success"}`)) === 0) await new Promise((r) => setTimeout(r, 100));
    expect(await metric(`orchd_pool_health_checks_total{pool_id="${pool}",outcome="success"}`)).toBeGreaterThan(0);
    expect(await metric(`orchd_pool_health_check_duration_ms_count{pool_id="${pool}"}`)).toBeGreaterThan(0);
    const health = await (await orch.api(`/v2/pools/${pool}/health`)).json();
    expect(health).toMatchObject({ live: true, ready: true, draining: false, node_id: "solo", last_error: null });
  });

  it("no log line of the orchestrator or the worker contains the token; both log its fp6", () => {
    const all = [...orch.logs, ...worker.lines];
    expect(all.some((l) => l.includes(orch.token))).toBe(false);
    expect(orch.logs.some((l) => l.includes('"fp6"') || l.includes("token:"))).toBe(true);
  });
});
