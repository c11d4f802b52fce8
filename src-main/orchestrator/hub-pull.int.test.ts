import { readdir, readFile, stat } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../../scripts/gguf/write-tiny-gguf.js";
import { HubPullSchema, type HubPull } from "../../src-shared/catalog/hub-pull.js";
import { NodeListResponseSchema } from "../../src-shared/nodes/node-info.js";
import { StagingJobSchema } from "../../src-shared/staging/staging-job.js";
import { startLocalHub, type LocalHub } from "../../test-support/local-hub.js";
import { testModelPath } from "../../test-support/models.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { ensureBigModel, startStagingWorker } from "../../test-support/staging-cluster.js";
import { killAllWorkers, waitFor } from "../../test-support/worker-agent-process.js";

// Hub pulls against a local server that behaves like the hub (resolve path, 302, Range, ETag = sha256):
// nothing reaches the internet.
let orch: TestOrchestrator;
let hub: LocalHub;
let bigPath = "";
let storeDir = "";

const pull = async (body: Record<string, unknown>): Promise<HubPull> => {
  const res = await orch.api("/v2/catalog/pull", { method: "POST", body: JSON.stringify(body) });
  expect(res.status).toBe(202);
  return HubPullSchema.parse(await res.json());
};
const untilDone = (id: string) => waitFor(async () => HubPullSchema.parse(await (await orch.api(`/v2/catalog/pulls/${id}`)).json()), (p) => p.finished_at_ms !== null, 60_000, 50);

beforeAll(async () => {
  bigPath = await ensureBigModel();
  hub = await startLocalHub({ "/acme/big-GGUF/resolve/main/big-q8.gguf": bigPath, "/acme/tiny-GGUF/resolve/main/tiny-b.gguf": testModelPath("tiny-b"), "/acme/tiny-GGUF/resolve/main/tiny.gguf": testModelPath("tiny") });
  orch = await startTestOrchestrator({ hub_base_url: hub.url, node_suspect_ms: 1000, node_timeout_ms: 2000 });
  storeDir = join(orch.dataDir, "models");
}, 60_000);

afterAll(async () => {
  await killAllWorkers();
  await orch?.close();
  await hub?.close();
});

describe("hub pulls into the orchestrator's store", () => {
  it("resumes after a dropped connection and verifies against the announced sha256", async () => {
    const size = (await stat(bigPath)).size;
    hub.dropNextAfter = 8_000_000;
    const started = performance.now();
    const done = await untilDone((await pull({ ref: "hf://acme/big-GGUF/big-q8.gguf" })).pull_id);
    const seconds = (performance.now() - started) / 1000;
    expect(done.error).toBeNull();
    expect(done).toMatchObject({ state: "completed", sha256: sha256Hex(await readFile(bigPath)), expected_sha256: sha256Hex(await readFile(bigPath)), size_bytes: size, bytes_done: size });
    expect(done.resumes).toBeGreaterThanOrEqual(1);
    expect(done.bytes_transferred).toBeLessThan(1.2 * size);
    console.log(`hub pull: ${size} bytes in ${seconds.toFixed(2)} s (${(size / 1e6 / seconds).toFixed(1)} MB/s incl. one drop + backoff), ${done.bytes_transferred} bytes received (${(done.bytes_transferred / size).toFixed(3)}x), hub sent ${hub.bytesSent}, resumes ${done.resumes}`);
    expect((await readdir(storeDir)).filter((f) => f.endsWith(".part"))).toEqual([]);
  }, 90_000);

  it("a hub announcing another digest: the pull fails and its part is deleted", async () => {
    hub.announce = "0".repeat(64);
    const done = await untilDone((await pull({ ref: `${hub.url}/acme/tiny-GGUF/resolve/main/tiny.gguf` })).pull_id);
    hub.announce = null;
    expect(done.state).toBe("failed");
    expect(done.error).toContain("not the announced");
    expect((await readdir(storeDir)).filter((f) => f.endsWith(".part"))).toEqual([]);
  });

  it("pulls straight on to nodes: the verified model is staged from the store", async () => {
    await startStagingWorker({ nodeId: "w1", orchestratorUrl: orch.url, token: orch.token });
    await waitFor(async () => NodeListResponseSchema.parse(await (await orch.api("/v2/nodes")).json()).nodes, (nodes) => nodes.some((n) => n.node_id === "w1" && n.status === "Online"), 20_000);
    const done = await untilDone((await pull({ ref: "hf://acme/tiny-GGUF/tiny-b.gguf", nodes: ["w1"] })).pull_id);
    expect(done.state).toBe("completed");
    expect(done.staging_job_ids).toHaveLength(1);
    const job = await waitFor(async () => StagingJobSchema.parse(await (await orch.api(`/v2/catalog/jobs/${done.staging_job_ids[0] ?? ""}`)).json()), (j) => j.state === "completed" || j.state === "failed", 20_000, 50);
    expect(job).toMatchObject({ state: "completed", source_node_id: "control-plane" });
  }, 60_000);

  it("a second request for a URL being pulled joins it and adds its nodes (they were dropped); a contradicting sha256 is a 409", async () => {
    const ref = `${hub.url}/acme/tiny-GGUF/resolve/main/tiny.gguf`;
    const size = (await stat(testModelPath("tiny"))).size;
    // Slow enough to still run when the second request comes.
    const first = await pull({ ref, bandwidth_limit_bytes_per_s: Math.max(1, Math.floor(size / 2)) });
    const second = await pull({ ref, nodes: ["w1"] });
    expect(second.pull_id).toBe(first.pull_id);
    // Once the hub announced the digest, a request expecting another one cannot join (it would fail the pull for both).
    const announced = await waitFor(async () => HubPullSchema.parse(await (await orch.api(`/v2/catalog/pulls/${first.pull_id}`)).json()), (p) => p.expected_sha256 !== null || p.finished_at_ms !== null, 10_000, 10);
    expect(announced.finished_at_ms).toBeNull();
    const contradicting = await orch.api("/v2/catalog/pull", { method: "POST", body: JSON.stringify({ ref, sha256: "1".repeat(64) }) });
    expect(contradicting.status).toBe(409);
    const done = await untilDone(first.pull_id);
    expect(done).toMatchObject({ state: "completed", sha256: sha256Hex(await readFile(testModelPath("tiny"))) });
    expect(done.staging_job_ids).toHaveLength(1);
    const job = await waitFor(async () => StagingJobSchema.parse(await (await orch.api(`/v2/catalog/jobs/${done.staging_job_ids[0] ?? ""}`)).json()), (j) => j.state === "completed" || j.state === "failed", 20_000, 50);
    expect(job).toMatchObject({ state: "completed", target_node_id: "w1" });
  }, 60_000);

  it("a file the hub does not have fails at once, saying so; an unreachable hub is retried, saying why", async () => {
    // Before: a 404 was retried like a dropped connection, 20 times over about 85 s, as "the hub answered 404 to a range request".
    const missing = await untilDone((await pull({ ref: "hf://acme/tiny-GGUF/no-such-file.gguf" })).pull_id);
    expect(missing).toMatchObject({ state: "failed", resumes: 0 });
    expect(missing.error).toBe(`the hub has no file at ${hub.url}/acme/tiny-GGUF/resolve/main/no-such-file.gguf (404); check the owner, repository, revision and file name`);
    // A port nothing listens on: retried (the hub may come back), with the reason rather than fetch's bare "fetch failed".
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const down = await pull({ ref: `http://127.0.0.1:${port}/model.gguf` });
    const retrying = await waitFor(async () => HubPullSchema.parse(await (await orch.api(`/v2/catalog/pulls/${down.pull_id}`)).json()), (p) => p.state === "retrying", 20_000, 50);
    expect(retrying.error).toContain("ECONNREFUSED");
    expect((await orch.api(`/v2/catalog/pulls/${down.pull_id}`, { method: "DELETE" })).status).toBe(200);
  });

  it("refuses refs that are neither hf:// nor http(s)", async () => {
    const res = await orch.api("/v2/catalog/pull", { method: "POST", body: JSON.stringify({ ref: "file:///etc/passwd" }) });
    expect(res.status).toBe(400);
  });
});
