import { mkdtempSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../../scripts/gguf/write-tiny-gguf.js";
import { StageModelResponseSchema, StagingJobSchema, type StagingJob } from "../../src-shared/staging/staging-job.js";
import { freePort, startHeadlessOrchestrator, type HeadlessOrchestrator } from "../../test-support/headless-process.js";
import { ensureBigModel, startStagingWorker } from "../../test-support/staging-cluster.js";
import { killAllWorkers, waitFor } from "../../test-support/worker-agent-process.js";

// The orchestrator SIGKILLed while it serves a copy from its own store (found by the post-merge soak,
// post-merge.soak.test.ts): the source dies with it, and after the restart the target begins a new pull
// from its part. The bytes written between the job's last poll and the kill were on no row, so a whole
// 55 MB copy reported up to one poll's worth (2.5 MB at 10 MB/s) less in bytes_transferred.
const TOKEN = "staging-kill-token-0123456789abcdef0123456789abcdef";
let orch: HeadlessOrchestrator | undefined;
let dataDir = "";
let port = 0;
const api = (path: string, init: RequestInit = {}) => fetch(`http://127.0.0.1:${port}${path}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" }, signal: AbortSignal.timeout(20_000) });
const job = async (id: string): Promise<StagingJob> => StagingJobSchema.parse(await (await api(`/v2/catalog/jobs/${id}`)).json());

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "llorch-staging-kill-"));
  port = await freePort();
  orch = await startHeadlessOrchestrator({ port, dataDir, token: TOKEN });
  await startStagingWorker({ nodeId: "d", orchestratorUrl: `http://127.0.0.1:${port}`, token: TOKEN });
  await waitFor(async () => (await api("/v2/nodes/d")).status, (s) => s === 200, 30_000, 100);
}, 60_000);

afterAll(async () => {
  await killAllWorkers();
  await orch?.kill("SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
});

describe("an orchestrator SIGKILLed while a copy from its store runs", () => {
  it("the resumed job counts every byte of the whole copy", async () => {
    const bigPath = await ensureBigModel();
    const BIG = sha256Hex(await readFile(bigPath));
    const imported = await api("/v2/catalog/import", { method: "POST", body: JSON.stringify({ path: bigPath }) });
    expect(imported.status, await imported.clone().text()).toBeLessThan(300);
    await waitFor(async () => (await api("/v2/catalog/store")).text(), (t) => t.includes(BIG), 30_000, 100);
    const res = await api(`/v2/catalog/models/${BIG}/stage`, { method: "POST", body: JSON.stringify({ nodes: ["d"], bandwidth_limit_bytes_per_s: 10_000_000 }) });
    expect(res.status).toBe(202);
    const id = (StageModelResponseSchema.parse(await res.json()).jobs[0] as StagingJob).job_id;
    await waitFor(() => job(id), (j) => j.bytes_done > 5_000_000, 30_000, 50);
    // Mid-poll (polls are 250 ms apart): the bytes since the last one are on the target's disk only.
    await new Promise((r) => setTimeout(r, 120));
    await orch?.kill("SIGKILL");
    orch = await startHeadlessOrchestrator({ port, dataDir, token: TOKEN });
    const done = await waitFor(() => job(id), (j) => ["completed", "failed", "canceled"].includes(j.state), 60_000, 100);
    expect(done, JSON.stringify(done)).toMatchObject({ state: "completed", error: null, source_node_id: "control-plane" });
    expect(done.bytes_transferred).toBe(done.size_bytes);
  }, 120_000);
});
