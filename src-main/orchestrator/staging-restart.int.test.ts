import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../../scripts/gguf/write-tiny-gguf.js";
import { StageModelResponseSchema, type StagingJob } from "../../src-shared/staging/staging-job.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { ensureBigModel, modelsDirFiles, startStagingWorker } from "../../test-support/staging-cluster.js";
import { killAllWorkers, waitFor, type StartedWorker } from "../../test-support/worker-agent-process.js";
import { stagingCalls } from "../../test-support/staging-calls.js";

// The orchestrator restarts mid-copy and the only holder is slow to come back (here: stopped until the
// test lets it go; in a large cluster, a heartbeat interval stretched to many seconds). The resumed job
// must wait for the holder, not count "no source" attempts and fail within 4 s.
let orch: TestOrchestrator;
const w: Record<string, StartedWorker> = {};
let BIG = "";

const { json, reported, job } = stagingCalls(() => orch);

beforeAll(async () => {
  const bigPath = await ensureBigModel();
  BIG = sha256Hex(await readFile(bigPath));
  orch = await startTestOrchestrator({ node_suspect_ms: 1000, node_timeout_ms: 2000 });
  const base = { orchestratorUrl: orch.url, token: orch.token };
  [w.a, w.b, w.c] = await Promise.all([startStagingWorker({ ...base, nodeId: "a", models: { [basename(bigPath)]: bigPath } }), startStagingWorker({ ...base, nodeId: "b" }), startStagingWorker({ ...base, nodeId: "c" })]);
  await waitFor(() => reported("a"), (m) => m.includes(BIG), 30_000);
  await waitFor(() => json("/v2/nodes/b"), (r) => r.status === 200, 30_000);
  await waitFor(() => json("/v2/nodes/c"), (r) => r.status === 200, 30_000);
}, 90_000);

afterAll(async () => {
  for (const worker of Object.values(w)) {
    try {
      process.kill(worker.pid, "SIGCONT");
    } catch {
      // already gone
    }
  }
  await killAllWorkers();
  await orch?.close();
});

describe("an orchestrator restart while a model is being staged", () => {
  it("the resumed job waits for its only holder to register again, then completes from the bytes on disk", async () => {
    const res = await json(`/v2/catalog/models/${BIG}/stage`, { method: "POST", body: JSON.stringify({ nodes: ["b"], bandwidth_limit_bytes_per_s: 8_000_000 }) });
    expect(res.status).toBe(202);
    const id = (StageModelResponseSchema.parse(res.body).jobs[0] as StagingJob).job_id;
    await waitFor(() => job(id), (j) => j.bytes_done > 2_000_000, 30_000, 50);
    process.kill(w.a?.pid as number, "SIGSTOP");
    let waiting: StagingJob;
    try {
      await orch.restart();
      // Before: "no Online, undrained node holds a verified copy" five times, and the job failed.
      waiting = await waitFor(() => job(id), (j) => j.error?.reason === "no_source" || j.state === "failed", 20_000, 50);
    } finally {
      process.kill(w.a?.pid as number, "SIGCONT");
    }
    expect(waiting.state).toBe("retrying");
    expect(waiting.error?.message).toMatch(/waiting for a \(holding the model\) to register again after the orchestrator restart/);
    const done = await waitFor(() => job(id), (j) => ["completed", "failed", "canceled"].includes(j.state), 90_000, 100);
    expect(done, JSON.stringify(done.error)).toMatchObject({ state: "completed", error: null, failed_sources: [] });
    await waitFor(() => reported("b"), (m) => m.includes(BIG), 20_000);
    expect(await modelsDirFiles(w.b?.modelsDir as string)).toEqual([basename(await ensureBigModel())]);
  }, 150_000);

  it("the resumed job counts the bytes its target moved while the orchestrator was down", async () => {
    // Found by the post-merge soak (post-merge.soak.test.ts): a job resumed after a restart re-joined
    // the target's pull but started counting from what the target reported at that moment, so a whole
    // 55 MB copy showed bytes_transferred 53 MB (what moved while the orchestrator was down was lost).
    const res = await json(`/v2/catalog/models/${BIG}/stage`, { method: "POST", body: JSON.stringify({ nodes: ["c"], bandwidth_limit_bytes_per_s: 8_000_000 }) });
    expect(res.status).toBe(202);
    const id = (StageModelResponseSchema.parse(res.body).jobs[0] as StagingJob).job_id;
    await waitFor(() => job(id), (j) => j.bytes_done > 2_000_000, 30_000, 50);
    await orch.restart();
    const done = await waitFor(() => job(id), (j) => ["completed", "failed", "canceled"].includes(j.state), 60_000, 100);
    expect(done, JSON.stringify(done)).toMatchObject({ state: "completed", error: null });
    // One pull from byte 0 to the end: exactly the file went over the wire.
    expect(done.bytes_transferred).toBe(done.size_bytes);
  }, 90_000);
});
