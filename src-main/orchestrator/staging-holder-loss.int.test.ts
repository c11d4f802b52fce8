import { readFile, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../../scripts/gguf/write-tiny-gguf.js";
import { CatalogModelViewSchema } from "../../src-shared/catalog/catalog-view.js";
import { StageModelResponseSchema, StagingJobSchema, type StagingJob } from "../../src-shared/staging/staging-job.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { ensureBigModel, modelsDirFiles, startStagingWorker } from "../../test-support/staging-cluster.js";
import { killAllWorkers, waitFor, type StartedWorker } from "../../test-support/worker-agent-process.js";
import { stagingCalls } from "../../test-support/staging-calls.js";

// The only holder of a model is SIGKILLed while it is being copied to two nodes. Each job must end in
// one clear terminal state, the catalog must say what is on each disk (the partial bytes), the operator
// must be able to free a partial file, and staging again once the holder is back resumes the other.
let orch: TestOrchestrator;
const w: Record<string, StartedWorker> = {};
let bigPath = "";
let BIG = "";

const { json, reported, job } = stagingCalls(() => orch);
const stage = async (nodes: string[], extra: Record<string, unknown> = {}): Promise<StagingJob[]> => {
  const res = await waitFor(() => json(`/v2/catalog/models/${BIG}/stage`, { method: "POST", body: JSON.stringify({ nodes, ...extra }) }), (r) => r.status !== 503, 20_000, 200);
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return StageModelResponseSchema.parse(res.body).jobs;
};
const ended = (id: string) => waitFor(() => job(id), (j) => ["completed", "failed", "canceled"].includes(j.state), 60_000, 100);
const placement = async (nodeId: string) => CatalogModelViewSchema.parse((await json(`/v2/catalog/models/${BIG}`)).body).nodes.find((n) => n.node_id === nodeId);

beforeAll(async () => {
  bigPath = await ensureBigModel();
  BIG = sha256Hex(await readFile(bigPath));
  orch = await startTestOrchestrator({ node_suspect_ms: 1000, node_timeout_ms: 2000 });
  const base = { orchestratorUrl: orch.url, token: orch.token };
  [w.a, w.b, w.c] = await Promise.all([startStagingWorker({ ...base, nodeId: "a", models: { [basename(bigPath)]: bigPath } }), startStagingWorker({ ...base, nodeId: "b" }), startStagingWorker({ ...base, nodeId: "c" })]);
  await waitFor(() => reported("a"), (m) => m.includes(BIG), 30_000);
  await waitFor(async () => Promise.all(["b", "c"].map(async (n) => (await json(`/v2/nodes/${n}`)).status)), (s) => s.every((x) => x === 200), 30_000);
}, 90_000);

afterAll(async () => {
  await killAllWorkers();
  await orch?.close();
});

describe("the only holder of a model goes away mid-copy", () => {
  it("jobs fail once with the reason, the catalog shows the partial bytes, a partial can be removed, and staging again resumes", async () => {
    const size = (await stat(bigPath)).size;
    const jobs = await stage(["b", "c"], { bandwidth_limit_bytes_per_s: 8_000_000 });
    expect(jobs).toHaveLength(2);
    await Promise.all(jobs.map((j) => waitFor(() => job(j.job_id), (x) => x.bytes_done > 2_000_000, 30_000, 50)));
    const dirs = { modelsDir: w.a?.modelsDir as string, dataDir: w.a?.dataDir as string, runtimeDir: w.a?.runtimeDir as string };
    await w.a?.stop("SIGKILL");

    const byTarget: Record<string, StagingJob> = {};
    for (const j of jobs) byTarget[j.target_node_id] = await ended(j.job_id);
    for (const target of ["b", "c"]) {
      const done = byTarget[target] as StagingJob;
      expect(done).toMatchObject({ state: "failed", error: { reason: "attempts_exhausted" } });
      expect(done.error?.message).toMatch(/no Online, undrained node holds a verified copy|source a|from a /);
      expect(done.bytes_done).toBeGreaterThan(0);
      expect(done.bytes_done).toBeLessThan(size);
      // The catalog tells the truth about the disk: the part and its size.
      expect(await placement(target)).toMatchObject({ state: "partial", bytes: done.bytes_done });
      const dir = (target === "b" ? w.b : w.c)?.modelsDir as string;
      expect(await modelsDirFiles(dir)).toEqual([`.${BIG}.part`]);
      expect((await stat(join(dir, `.${BIG}.part`))).size).toBe(done.bytes_done);
    }
    // Nothing holds a verified copy any more.
    const availability = (await json("/v2/catalog/availability")).body as { models: { sha256: string }[] };
    expect(availability.models.filter((m) => m.sha256 === BIG)).toEqual([]);

    // The operator frees c's disk. Before: 404 "does not hold", and no API could remove the part.
    const removed = await json(`/v2/catalog/models/${BIG}/nodes/c`, { method: "DELETE" });
    expect(removed.status, JSON.stringify(removed.body)).toBe(204);
    expect(await modelsDirFiles(w.c?.modelsDir as string)).toEqual([]);
    expect(await placement("c")).toMatchObject({ state: "absent", bytes: 0 });
    expect((await json(`/v2/catalog/models/${BIG}/nodes/c`, { method: "DELETE" })).status).toBe(404);

    // The holder comes back: staging to b again resumes from its part.
    w.a = await startStagingWorker({ orchestratorUrl: orch.url, token: orch.token, nodeId: "a", dirs });
    await waitFor(() => reported("a"), (m) => m.includes(BIG), 30_000);
    const kept = (byTarget.b as StagingJob).bytes_done;
    const again = await stage(["b"]);
    const finished = await ended((again[0] as StagingJob).job_id);
    expect(finished.state).toBe("completed");
    expect(finished.bytes_transferred).toBeLessThanOrEqual(size - kept);
    await waitFor(() => reported("b"), (m) => m.includes(BIG), 20_000);
    expect(await placement("b")).toMatchObject({ state: "verified" });
  }, 150_000);

  it("a job canceled while its target is stopped (SIGSTOP) shows the part it left; once the node is back the part can be removed", async () => {
    const [stopped] = await stage(["c"], { bandwidth_limit_bytes_per_s: 8_000_000 });
    const id = (stopped as StagingJob).job_id;
    await waitFor(() => job(id), (x) => x.bytes_done > 2_000_000, 30_000, 50);
    process.kill(w.c?.pid as number, "SIGSTOP");
    try {
      const canceled = await json(`/v2/catalog/jobs/${id}`, { method: "DELETE" });
      expect(canceled.status).toBe(200);
      const kept = StagingJobSchema.parse(canceled.body);
      expect(kept.state).toBe("canceled");
      // Before: the catalog said absent while the part sat on c's disk.
      expect(kept.bytes_done).toBeGreaterThan(0);
      expect(await placement("c")).toMatchObject({ state: "partial", bytes: kept.bytes_done });
      expect(await modelsDirFiles(w.c?.modelsDir as string)).toEqual([`.${BIG}.part`]);
    } finally {
      process.kill(w.c?.pid as number, "SIGCONT");
    }
    // Back, c may still be pulling (the cancel never reached it) or have finished: removing the model
    // from c ends either, and leaves nothing.
    await waitFor(async () => (await json("/v2/nodes/c")).body as { status: string }, (n) => n.status === "Online", 30_000);
    const removed = await json(`/v2/catalog/models/${BIG}/nodes/c`, { method: "DELETE" });
    expect(removed.status, JSON.stringify(removed.body)).toBe(204);
    expect((await modelsDirFiles(w.c?.modelsDir as string)).filter((f) => f.includes(BIG) || f.endsWith(".gguf"))).toEqual([]);
    await waitFor(() => placement("c"), (p) => p?.state === "absent" && p.bytes === 0, 20_000);
  }, 90_000);

  it("a target paused (SIGSTOP) mid-copy is waited for; resumed, the same pull finishes and every byte it moved is counted", async () => {
    const size = (await stat(bigPath)).size;
    const [paused] = await stage(["c"], { bandwidth_limit_bytes_per_s: 8_000_000 });
    const id = (paused as StagingJob).job_id;
    await waitFor(() => job(id), (x) => x.bytes_done > 2_000_000, 30_000, 50);
    process.kill(w.c?.pid as number, "SIGSTOP");
    try {
      // The polls time out and the node goes Suspect: the job waits for it.
      await waitFor(() => job(id), (x) => x.state === "retrying" && x.error?.reason === "target_unavailable", 40_000, 100);
    } finally {
      process.kill(w.c?.pid as number, "SIGCONT");
    }
    const done = await ended(id);
    expect(done).toMatchObject({ state: "completed", attempts: 1, error: null });
    // Before: the bytes the target moved between the last poll and the pause were never counted (45 of 55 MB).
    expect(done.bytes_transferred).toBeGreaterThanOrEqual(size);
    expect(done.bytes_transferred).toBeLessThan(1.2 * size);
    await waitFor(() => reported("c"), (m) => m.includes(BIG), 20_000);
    expect(await modelsDirFiles(w.c?.modelsDir as string)).toEqual([basename(bigPath)]);
  }, 120_000);
});
