import { randomUUID } from "node:crypto";
import { copyFile, open, rename, stat, truncate } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodeDetailSchema } from "../../src-shared/dashboard/cluster-events.js";
import { NodeListResponseSchema } from "../../src-shared/nodes/node-info.js";
import type { TaskRequestV2Input } from "../../src-shared/tasks/task-request.js";
import { TaskStatusSchema } from "../../src-shared/tasks/task-status.js";
import { testModelName, testModelPath } from "../../test-support/models.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { followTaskEvents, terminal } from "../../test-support/sse-client.js";
import { startWorkerProcess, type WorkerProcess } from "../../test-support/worker-process.js";
import { waitFor } from "../../test-support/wait-for.js";

// Issue 14 item 4: one corrupted copy must not break a model cluster-wide. Real orchestrator, two
// real agents; files are truncated or overwritten in place under running pools.
// node-a: tiny, tiny-b; node-b: tiny, tiny-b, tiny-chatml (the only holder of tiny-chatml).
const TINY = testModelName("tiny");
const TINY_B = testModelName("tiny-b");
const CHATML = testModelName("tiny-chatml");
let orch: TestOrchestrator;
let a: WorkerProcess;
let b: WorkerProcess;


const nodes = async () => NodeListResponseSchema.parse(await (await orch.api("/v2/nodes")).json()).nodes;
const nodeDetail = async (id: string) => NodeDetailSchema.parse(await (await orch.api(`/v2/nodes/${id}`)).json());
const modelIds = async () => ((await (await orch.api("/v1/models")).json()) as { data: { id: string }[] }).data.map((m) => m.id).sort();
const readyPoolsFor = async (name: string) => (await nodes()).flatMap((n) => n.pools.filter((p) => p.ready && p.model?.name === name).map(() => n.node_id));

function task(model: string): TaskRequestV2Input {
  return { task_id: randomUUID(), session_id: randomUUID(), workload: "completion", model_ref: model, engine: "llamacpp", ctx: 512, priority: "interactive", prompt: "Hello world", max_tokens: 6, deadline_ms: 30_000, temperature: 0 };
}

/** Runs a task to its terminal event; returns the terminal event and the node that served it. */
async function run(model: string): Promise<{ status: number; terminal?: unknown; node?: string | null; body?: unknown }> {
  const body = task(model);
  const res = await orch.api("/v2/tasks", { method: "POST", body: JSON.stringify(body) });
  if (res.status !== 202) return { status: res.status, body: await res.json() };
  const events = await followTaskEvents(orch.url, orch.token, body.task_id as string).done;
  const s = TaskStatusSchema.parse(await (await orch.api(`/v2/tasks/${body.task_id}`)).json());
  return { status: 202, terminal: terminal(events), node: s.node_id };
}

async function overwriteInPlace(path: string, bytes: number): Promise<void> {
  const { size } = await stat(path);
  const handle = await open(path, "r+");
  try {
    await handle.write(Buffer.alloc(bytes, 0xa5), 0, bytes, Math.floor(size / 2));
  } finally {
    await handle.close();
  }
}

const quarantineEvents = async (nodeId: string) => (await nodeDetail(nodeId)).events.filter((e) => e.kind === "model_quarantined");
const warned = (w: WorkerProcess) => w.lines.some((l) => l.includes('"level":"warn"') && l.includes("model copy quarantined"));

beforeAll(async () => {
  orch = await startTestOrchestrator({ pool_probe_interval_ms: 1000 });
  const config = { catalog_poll_ms: 250 };
  [a, b] = await Promise.all([
    startWorkerProcess({ nodeId: "node-a", models: ["tiny", "tiny-b"], orchestratorUrl: orch.url, token: orch.token, slots: 1, config }),
    startWorkerProcess({ nodeId: "node-b", models: ["tiny", "tiny-b", "tiny-chatml"], orchestratorUrl: orch.url, token: orch.token, slots: 1, config }),
  ]);
  await waitFor("five ready pools", async () => (await nodes()).reduce((n, node) => n + node.pools.filter((p) => p.ready).length, 0) === 5, 60_000);
}, 90_000);

afterAll(async () => {
  await Promise.all([a?.kill(), b?.kill()]);
  await orch?.close();
});

describe("a corrupted copy of a replicated model", () => {
  it("truncated on one node: the copy is quarantined with a warn log and a node event; the name stays unique and resolves to the good copy", async () => {
    await truncate(join(a.modelsDir, "tiny.gguf"), Math.floor((await stat(testModelPath("tiny"))).size / 2));
    await waitFor("a model_quarantined event on node-a", async () => (await quarantineEvents("node-a")).length === 1);
    expect((await quarantineEvents("node-a"))[0]?.message).toMatch(/tiny\.gguf .*quarantined: truncated/);
    expect(warned(a)).toBe(true);
    expect(orch.logs.some((l) => l.includes('"level":40') && l.includes("quarantined"))).toBe(true);
    // Not ambiguous: no name@sha ids, and every request for the name is served by the good copy.
    expect(await modelIds()).toEqual([TINY, TINY_B, CHATML].sort());
    for (let i = 0; i < 3; i++) expect(await run(TINY)).toMatchObject({ status: 202, terminal: { event: "end" }, node: "node-b" });
    const pool = (await nodes()).find((n) => n.node_id === "node-a")?.pools.find((p) => p.last_error?.includes("tiny.gguf quarantined"));
    expect(pool).toMatchObject({ ready: false });
  });

  it("overwritten in place (64 KiB, same size) while its pool is ready: the pool stops serving the changed bytes and the name resolves to the other node", async () => {
    const path = join(b.modelsDir, "tiny-b.gguf");
    const size = (await stat(path)).size;
    await overwriteInPlace(path, 64 * 1024);
    expect((await stat(path)).size).toBe(size);
    await waitFor("a model_quarantined event on node-b", async () => (await quarantineEvents("node-b")).length === 1);
    expect((await quarantineEvents("node-b"))[0]?.message).toMatch(/tiny-b\.gguf .*changed in place/);
    expect(warned(b)).toBe(true);
    await waitFor("node-b's tiny-b pool unready", async () => !(await readyPoolsFor(TINY_B)).includes("node-b"));
    expect(await modelIds()).toEqual([TINY, TINY_B, CHATML].sort());
    for (let i = 0; i < 3; i++) expect(await run(TINY_B)).toMatchObject({ status: 202, terminal: { event: "end" }, node: "node-a" });
  });
});

describe("a corrupted copy of a model only one node holds", () => {
  it("gets a clear answer at once (not a 503 forever), and serves again once a good copy is put back", async () => {
    const path = join(b.modelsDir, "tiny-chatml.gguf");
    await overwriteInPlace(path, 64 * 1024);
    await waitFor("the copy quarantined", async () => (await quarantineEvents("node-b")).length === 2);
    await waitFor("the name gone from /v1/models", async () => !(await modelIds()).includes(CHATML));
    const started = Date.now();
    const refused = await run(CHATML);
    expect(refused).toMatchObject({ status: 404, body: { code: "MODEL_NOT_FOUND" } });
    expect(Date.now() - started).toBeLessThan(2000);
    const failed = (await nodes()).find((n) => n.node_id === "node-b")?.pools.find((p) => p.last_error?.includes("tiny-chatml.gguf quarantined"));
    expect(failed).toMatchObject({ ready: false });

    // An operator puts a good copy back (a rename: a new file, not a change in place).
    await copyFile(testModelPath("tiny-chatml"), `${path}.tmp`);
    await rename(`${path}.tmp`, path);
    await waitFor("the pool ready again", async () => (await readyPoolsFor(CHATML)).includes("node-b"), 30_000);
    expect(await run(CHATML)).toMatchObject({ status: 202, terminal: { event: "end" }, node: "node-b" });
  });
});
