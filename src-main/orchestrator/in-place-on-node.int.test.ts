import { randomUUID } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../../scripts/gguf/write-tiny-gguf.js";
import { CatalogModelViewSchema } from "../../src-shared/catalog/catalog-view.js";
import { DiscoveredModelListSchema, UsedOnNodeSchema } from "../../src-shared/catalog/discovered-model.js";
import { StoreModelListSchema } from "../../src-shared/catalog/store-model.js";
import { NodeListResponseSchema } from "../../src-shared/nodes/node-info.js";
import { TaskStatusSchema } from "../../src-shared/tasks/task-status.js";
import { testModelPath } from "../../test-support/models.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { followTaskEvents } from "../../test-support/sse-client.js";
import { modelsDirFiles, startStagingWorker } from "../../test-support/staging-cluster.js";
import { killAllWorkers, type StartedWorker } from "../../test-support/worker-agent-process.js";
import { waitFor } from "../../test-support/wait-for.js";

// "Use in place" on the local worker: a model in llama.cpp's cache folder on this machine is served
// by the worker from where it is. Nothing is copied into the worker's models dir or the orchestrator's
// store; the catalog lists it under its sha256 and a task pinned to the node runs on it.
let orch: TestOrchestrator;
let worker: StartedWorker;
let cacheDir = "";
let modelPath = "";
let junkPath = "";
let SHA = "";

const json = async (path: string, init?: RequestInit): Promise<{ status: number; body: unknown }> => {
  const res = await orch.api(path, init);
  const text = await res.text();
  return { status: res.status, body: text === "" ? null : JSON.parse(text) };
};
const reported = async (): Promise<string[]> => NodeListResponseSchema.parse((await json("/v2/nodes")).body).nodes.find((n) => n.node_id === "local" && n.status === "Online")?.models.map((m) => m.sha256) ?? [];

beforeAll(async () => {
  // Discovery reads LLAMA_CACHE from the orchestrator's environment (this process: the in-process harness).
  cacheDir = mkdtempSync(join(tmpdir(), "llorch-llama-cache-"));
  mkdirSync(join(cacheDir, "sub"));
  modelPath = join(cacheDir, "sub", "tiny-b-from-llamacpp.gguf");
  copyFileSync(testModelPath("tiny-b"), modelPath);
  junkPath = join(cacheDir, "not-a-model.gguf");
  writeFileSync(junkPath, "this is not a GGUF file at all, just text");
  SHA = sha256Hex(await readFile(modelPath));
  process.env.LLAMA_CACHE = cacheDir;
  orch = await startTestOrchestrator({ node_suspect_ms: 1000, node_timeout_ms: 2000 });
  worker = await startStagingWorker({ orchestratorUrl: orch.url, token: orch.token, nodeId: "local", pools: "auto" });
  await waitFor(async () => (await json("/v2/nodes/local")).status, (s) => s === 200, 30_000);
}, 90_000);

afterAll(async () => {
  await killAllWorkers();
  await orch?.close();
  delete process.env.LLAMA_CACHE;
  rmSync(cacheDir, { recursive: true, force: true });
});

describe("use a discovered model in place on the local worker", () => {
  it("the worker serves it from where it is: no copy in its models dir or the store, listed by sha256, a pinned task runs on it", async () => {
    const discovered = DiscoveredModelListSchema.parse((await json("/v2/catalog/discovered")).body);
    expect(discovered.models.map((m) => m.path)).toContain(modelPath);
    const inode = statSync(modelPath).ino;

    const used = await json("/v2/catalog/discovered/use", { method: "POST", body: JSON.stringify({ path: modelPath, node_id: "local" }) });
    expect(used.status, JSON.stringify(used.body)).toBe(202);
    expect(UsedOnNodeSchema.parse(used.body)).toMatchObject({ node_id: "local", path: modelPath, file_name: "tiny-b-from-llamacpp.gguf", size_bytes: statSync(modelPath).size });
    await waitFor(reported, (m) => m.includes(SHA), 30_000);

    // No copy anywhere: the worker's models dir is still empty, the store holds nothing, the file is the same inode.
    expect(await modelsDirFiles(worker.modelsDir)).toEqual([]);
    expect(StoreModelListSchema.parse((await json("/v2/catalog/store")).body).models).toEqual([]);
    expect(await readdir(join(orch.dataDir, "models")).catch(() => [])).toEqual([]);
    expect(statSync(modelPath).ino).toBe(inode);
    const view = CatalogModelViewSchema.parse((await json(`/v2/catalog/models/${SHA}`)).body);
    expect(view.nodes.find((n) => n.node_id === "local")).toMatchObject({ state: "verified", file_names: ["tiny-b-from-llamacpp.gguf"] });

    // The auto pool for the file serves a task pinned to the node.
    const taskId = randomUUID();
    const body = { task_id: taskId, session_id: randomUUID(), workload: "completion", model_ref: `sha256:${SHA}`, engine: "llamacpp", ctx: 256, priority: "interactive", prompt: "Hello", max_tokens: 4, deadline_ms: 60_000, placement: { mode: "pin", pin_node_id: "local" } };
    await waitFor(() => orch.api("/v2/tasks", { method: "POST", body: JSON.stringify(body) }).then((r) => r.status), (s) => s === 202, 30_000, 200);
    await followTaskEvents(orch.url, orch.token, taskId).done;
    expect(TaskStatusSchema.parse((await json(`/v2/tasks/${taskId}`)).body)).toMatchObject({ state: "completed", node_id: "local" });
  }, 90_000);

  it("refuses a path discovery did not list (404) and a discovered file that is not a GGUF (400), changing nothing", async () => {
    const outside = await json("/v2/catalog/discovered/use", { method: "POST", body: JSON.stringify({ path: testModelPath("tiny"), node_id: "local" }) });
    expect(outside).toMatchObject({ status: 404, body: { code: "MODEL_NOT_FOUND" } });
    const junk = await json("/v2/catalog/discovered/use", { method: "POST", body: JSON.stringify({ path: junkPath, node_id: "local" }) });
    expect(junk).toMatchObject({ status: 400, body: { code: "INVALID_PARAMS" } });
    expect((junk.body as { message: string }).message).toMatch(/not a readable GGUF/);
    const unknown = await json("/v2/catalog/discovered/use", { method: "POST", body: JSON.stringify({ path: modelPath, node_id: "nope" }) });
    expect(unknown.status).toBe(404);
    expect(await modelsDirFiles(worker.modelsDir)).toEqual([]);
  });

  it("removing it from the node forgets it there and leaves the file in the other tool's folder", async () => {
    expect((await json(`/v2/catalog/models/${SHA}/nodes/local`, { method: "DELETE" })).status).toBe(204);
    await waitFor(reported, (m) => !m.includes(SHA), 30_000);
    expect(sha256Hex(await readFile(modelPath))).toBe(SHA);
  }, 60_000);
});
