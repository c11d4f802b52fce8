import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../../scripts/gguf/write-tiny-gguf.js";
import { NodeListResponseSchema } from "../../src-shared/nodes/node-info.js";
import { StageModelResponseSchema, StagingJobSchema, type StagingJob } from "../../src-shared/staging/staging-job.js";
import { testModelPath } from "../../test-support/models.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { modelsDirFiles, startStagingWorker } from "../../test-support/staging-cluster.js";
import { killAllWorkers, waitFor, type StartedWorker } from "../../test-support/worker-agent-process.js";

// Careless-operator and racing requests against model staging: a real orchestrator and two real
// worker agents. Node a holds tiny-b under a name with spaces and parentheses; b starts empty.
let orch: TestOrchestrator;
let b: StartedWorker;
let silent: Server;

const json = async (path: string, init?: RequestInit): Promise<{ status: number; body: unknown }> => {
  const res = await orch.api(path, init);
  const text = await res.text();
  return { status: res.status, body: text === "" ? null : JSON.parse(text) };
};
const reported = async (nodeId: string): Promise<{ sha256: string; file_name: string }[]> => {
  const nodes = NodeListResponseSchema.parse((await json("/v2/nodes")).body).nodes;
  return nodes.find((n) => n.node_id === nodeId && n.status === "Online")?.models ?? [];
};
/** Stages (retrying 503 while a holder is briefly Suspect on a loaded machine) and returns the one job. */
const stageOne = async (sha: string, nodes: string[]): Promise<StagingJob> => {
  const res = await waitFor(() => json(`/v2/catalog/models/${sha}/stage`, { method: "POST", body: JSON.stringify({ nodes }) }), (r) => r.status !== 503, 20_000, 200);
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  const { jobs } = StageModelResponseSchema.parse(res.body);
  expect(jobs).toHaveLength(1);
  return jobs[0] as StagingJob;
};
const ended = (id: string) => waitFor(async () => StagingJobSchema.parse((await json(`/v2/catalog/jobs/${id}`)).body), (j) => ["completed", "failed", "canceled"].includes(j.state), 40_000, 100);
const pullOnB = (sha: string, jobId: string, sourceUrl: string) =>
  fetch(`${b.url}/v2/models/${sha}/pull`, {
    method: "POST",
    headers: { authorization: `Bearer ${orch.token}`, "content-type": "application/json" },
    body: JSON.stringify({ job_id: jobId, file_name: "m.gguf", size_bytes: 7_308_960, source: { node_id: "a", url: sourceUrl, grant: "g" }, bandwidth_limit_bytes_per_s: null }),
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as { job_id?: string } }));

beforeAll(async () => {
  orch = await startTestOrchestrator({ node_suspect_ms: 2000, node_timeout_ms: 5000 });
  const base = { orchestratorUrl: orch.url, token: orch.token };
  [, b] = await Promise.all([startStagingWorker({ ...base, nodeId: "a", models: { "My Model (1).gguf": testModelPath("tiny-b") } }), startStagingWorker({ ...base, nodeId: "b" })]);
  await waitFor(() => reported("a"), (m) => m.length === 1, 30_000);
  await waitFor(() => json("/v2/nodes/b"), (r) => r.status === 200, 30_000);
  // A source that accepts connections and never answers: a pull from it stays running.
  silent = createServer(() => undefined);
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", () => resolve()));
}, 90_000);

afterAll(async () => {
  await killAllWorkers();
  silent?.closeAllConnections();
  silent?.close();
  await orch?.close();
});

describe("staging under racing and careless requests", () => {
  it("stages a model whose file name has spaces and parentheses, under a plain name on the target", async () => {
    // Before: the target refused the name (400), the job burned 5 attempts and ended attempts_exhausted.
    const sha = sha256Hex(await readFile(testModelPath("tiny-b")));
    const job = await ended((await stageOne(sha, ["b"])).job_id);
    expect(job, JSON.stringify(job.error)).toMatchObject({ state: "completed", attempts: 1 });
    await waitFor(() => reported("b"), (m) => m.some((x) => x.sha256 === sha), 20_000);
    expect(await modelsDirFiles(b.modelsDir)).toEqual(["My-Model--1-.gguf"]);
  }, 60_000);

  it("two different models with one file name, staged to one node at once: each keeps its own file", async () => {
    const kinds = ["tiny-chatml", "tiny-fim"] as const;
    const shas: string[] = [];
    for (const kind of kinds) {
      const bytes = await readFile(testModelPath(kind));
      shas.push(sha256Hex(bytes));
      const up = await orch.api("/v2/catalog/import?file_name=same.gguf", { method: "PUT", headers: { "content-type": "application/octet-stream" }, body: bytes });
      expect(up.status).toBe(201);
    }
    const jobs = await Promise.all(shas.map((sha) => stageOne(sha, ["b"])));
    for (const job of jobs) expect((await ended(job.job_id)).state).toBe("completed");
    // Before: both renamed onto same.gguf; the second replaced the first, whose job still said completed.
    const onB = await waitFor(() => reported("b"), (m) => shas.every((sha) => m.some((x) => x.sha256 === sha)), 20_000);
    const names = onB.filter((m) => shas.includes(m.sha256)).map((m) => m.file_name).sort();
    expect(names).toHaveLength(2);
    expect(names).toContain("same.gguf");
    expect(names.some((n) => /^same-[0-9a-f]{12}\.gguf$/.test(n))).toBe(true);
    for (const sha of shas) {
      const view = (await json(`/v2/catalog/models/${sha}`)).body as { nodes: { node_id: string; state: string }[] };
      expect(view.nodes.find((n) => n.node_id === "b")?.state).toBe("verified");
    }
  }, 60_000);

  it("20 pull requests for one model at once: one pull owns the part, the others are refused; the same job 20 times is one pull", async () => {
    const sha = sha256Hex(await readFile(testModelPath("medium")));
    const source = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const distinct = await Promise.all(Array.from({ length: 20 }, (_, i) => pullOnB(sha, `job-${i}`, source)));
    // Before: several passed the checks while the first was still reading the part's size (4 of 20 here).
    expect(distinct.filter((r) => r.status === 202)).toHaveLength(1);
    expect(distinct.filter((r) => r.status === 409)).toHaveLength(19);
    const owner = distinct.find((r) => r.status === 202)?.body.job_id;
    const status = await fetch(`${b.url}/v2/models/${sha}/pull`, { headers: { authorization: `Bearer ${orch.token}` } }).then((r) => r.json() as Promise<{ job_id: string; phase: string }>);
    expect(status).toMatchObject({ job_id: owner, phase: "transferring" });
    expect((await fetch(`${b.url}/v2/models/${sha}/pull`, { method: "DELETE", headers: { authorization: `Bearer ${orch.token}` } })).status).toBe(204);
    const same = await Promise.all(Array.from({ length: 20 }, () => pullOnB(sha, "job-same", source)));
    expect(same.map((r) => r.status)).toEqual(Array.from({ length: 20 }, () => 202));
    expect(new Set(same.map((r) => r.body.job_id))).toEqual(new Set(["job-same"]));
    expect((await fetch(`${b.url}/v2/models/${sha}/pull`, { method: "DELETE", headers: { authorization: `Bearer ${orch.token}` } })).status).toBe(204);
    expect((await modelsDirFiles(b.modelsDir)).filter((f) => f.endsWith(".part"))).toEqual([]);
  }, 60_000);
});
