import { createReadStream } from "node:fs";
import { request } from "node:http";
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../../scripts/gguf/write-tiny-gguf.js";
import { CatalogModelViewSchema } from "../../src-shared/catalog/catalog-view.js";
import { StoreModelListSchema, StoreModelSchema } from "../../src-shared/catalog/store-model.js";
import { CreatedApiKeySchema } from "../../src-shared/dashboard/api-keys.js";
import { ErrorEnvelopeSchema } from "../../src-shared/errors/error-envelope.js";
import { NodeListResponseSchema } from "../../src-shared/nodes/node-info.js";
import { StageModelResponseSchema, StagingJobSchema } from "../../src-shared/staging/staging-job.js";
import { testModelName, testModelPath } from "../../test-support/models.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { ensureBigModel, startStagingWorker } from "../../test-support/staging-cluster.js";
import { killAllWorkers, waitFor, type StartedWorker } from "../../test-support/worker-agent-process.js";

// Import into the orchestrator's own store (a host path, or a streamed upload), then stage from it:
// the control plane is a staging source like any node.
let orch: TestOrchestrator;
let worker: StartedWorker;
let storeDir = "";

const storeFiles = async () => (await readdir(storeDir)).sort();

beforeAll(async () => {
  orch = await startTestOrchestrator({ node_suspect_ms: 1000, node_timeout_ms: 2000 });
  storeDir = join(orch.dataDir, "models");
  worker = await startStagingWorker({ nodeId: "w1", orchestratorUrl: orch.url, token: orch.token });
  await waitFor(async () => NodeListResponseSchema.parse(await (await orch.api("/v2/nodes")).json()).nodes, (nodes) => nodes.some((n) => n.node_id === "w1" && n.status === "Online"), 20_000);
}, 60_000);

afterAll(async () => {
  await killAllWorkers();
  await orch?.close();
});

describe("orchestrator model store: import and upload", () => {
  it("refuses a file that is not GGUF before copying anything", async () => {
    const bogus = join(tmpdir(), `not-a-model-${process.pid}.gguf`);
    await writeFile(bogus, "<html>this is a download error page</html>".repeat(100));
    const res = await orch.api("/v2/catalog/import", { method: "POST", body: JSON.stringify({ path: bogus }) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toContain("not a GGUF file");
    expect(await storeFiles()).toEqual([]);
    expect((await orch.api("/v2/catalog/import", { method: "POST", body: JSON.stringify({ path: "/nope/x.gguf" }) })).status).toBe(404);
    // It exists but is no file: said so, not "no file at" (and /dev/zero is never read forever).
    for (const [path, what] of [["/dev/zero", "a device, pipe or socket"], [tmpdir(), "a folder"]] as const) {
      const res2 = await orch.api("/v2/catalog/import", { method: "POST", body: JSON.stringify({ path }) });
      expect(res2.status).toBe(400);
      expect(ErrorEnvelopeSchema.parse(await res2.json())).toMatchObject({ code: "INVALID_PARAMS", message: expect.stringContaining(`is ${what}, not a regular file`) as unknown, details: { reason: "not_a_regular_file" } });
    }
    // A control character in a name, C1 (U+0085, a "next line") as well as C0, is refused, not made plain.
    for (const name of ["evil\u0085.gguf", "a\nb.gguf", "a\u007f.gguf"]) {
      const res3 = await orch.api(`/v2/catalog/import?file_name=${encodeURIComponent(name)}`, { method: "PUT", headers: { "content-type": "application/octet-stream" }, body: "x" });
      expect(res3.status).toBe(400);
      expect(JSON.stringify(await res3.json())).toContain("no control characters in a file name");
    }
    expect(await storeFiles()).toEqual([]);
  });

  it("refuses a truncated GGUF (a header that reads, tensor data cut short): nothing is stored, no name is taken", async () => {
    const whole = await readFile(testModelPath("tiny"));
    const cut = whole.subarray(0, whole.byteLength - 100_000);
    // Before: 201, the store held it, the catalog named it (making the whole model's name an alias) and staging it
    // "completed" on a worker that never serves it (its catalog skips a file shorter than its header says).
    const up = await orch.api("/v2/catalog/import?file_name=cut.gguf", { method: "PUT", headers: { "content-type": "application/octet-stream" }, body: cut });
    expect(up.status).toBe(400);
    expect(((await up.json()) as { message: string }).message).toContain(`truncated: ${cut.byteLength} bytes, its GGUF header describes at least ${whole.byteLength}`);
    const path = join(tmpdir(), `cut-model-${process.pid}.gguf`);
    await writeFile(path, cut);
    const fromPath = await orch.api("/v2/catalog/import", { method: "POST", body: JSON.stringify({ path }) });
    expect(fromPath.status).toBe(400);
    expect(await storeFiles()).toEqual([]);
  });

  it.skipIf(process.platform !== "linux")("a host file that cannot be read is a clear 400 naming the path and the error, not a 500", async () => {
    // /proc/self/mem stats as a regular file and fails to read with EIO (EACCES, a file the orchestrator's user may
    // not read, takes the same path).
    const res = await orch.api("/v2/catalog/import", { method: "POST", body: JSON.stringify({ path: "/proc/self/mem" }) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toBe("cannot read /proc/self/mem on the orchestrator host: EIO");
    expect(await storeFiles()).toEqual([]);
  });

  it("imports a GGUF from a path on the orchestrator host; the hash is the file's", async () => {
    const res = await orch.api("/v2/catalog/import", { method: "POST", body: JSON.stringify({ path: testModelPath("tiny") }) });
    expect(res.status).toBe(201);
    const model = StoreModelSchema.parse(await res.json());
    expect(model).toMatchObject({ sha256: sha256Hex(await readFile(testModelPath("tiny"))), file_name: "tiny.gguf", gguf_name: "llama-orch-test-tiny", origin: "import" });
    expect(await storeFiles()).toEqual([`${model.sha256}.gguf`, `${model.sha256}.json`]);
  });

  it("takes a streamed upload (raw body), refusing a non-GGUF one with nothing written", async () => {
    const bad = await orch.api("/v2/catalog/import?file_name=x.gguf", { method: "PUT", headers: { "content-type": "application/octet-stream" }, body: "definitely not gguf" });
    expect(bad.status).toBe(400);
    const big = await ensureBigModel();
    const size = (await stat(big)).size;
    const body = Readable.toWeb(createReadStream(big)) as ReadableStream<Uint8Array>;
    const started = performance.now();
    const res = await orch.api("/v2/catalog/import?file_name=staging-big.gguf", { method: "PUT", headers: { "content-type": "application/octet-stream" }, body, duplex: "half" } as RequestInit);
    const ms = performance.now() - started;
    expect(res.status).toBe(201);
    const model = StoreModelSchema.parse(await res.json());
    expect(model.sha256).toBe(sha256Hex(await readFile(big)));
    expect(model.size_bytes).toBe(size);
    console.log(`upload of ${size} bytes into the store: ${((size / 1e6) / (ms / 1000)).toFixed(1)} MB/s`);
    expect((await storeFiles()).filter((f) => f.endsWith(".part"))).toEqual([]);
  });

  it("an upload announcing more bytes than the store's disk has free is refused at once (507), nothing written", async () => {
    // Before: a 1 PB Content-Length was read until the body deadline ended it with 408.
    const started = performance.now();
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${orch.url}/v2/catalog/import?file_name=huge.gguf`, { method: "PUT", headers: { authorization: `Bearer ${orch.token}`, "content-type": "application/octet-stream", "content-length": "1000000000000000" } }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on("error", reject);
      req.write(Buffer.from("GGUF"));
    });
    expect(performance.now() - started).toBeLessThan(5000);
    expect(answer.status).toBe(507);
    expect(ErrorEnvelopeSchema.parse(JSON.parse(answer.body))).toMatchObject({ code: "STORAGE_FULL", retriable: false, message: expect.stringContaining("the upload announces 1000000000000000 bytes") as unknown });
    expect((await storeFiles()).filter((f) => f.startsWith("huge") || f.endsWith(".part"))).toEqual([]);
  });

  it("stages a store model to a node: the control plane is the source", async () => {
    const sha = sha256Hex(await readFile(testModelPath("tiny")));
    const view = CatalogModelViewSchema.parse(await (await orch.api(`/v2/catalog/models/sha256:${sha}`)).json());
    expect(view.in_store).toBe(true);
    const res = await orch.api(`/v2/catalog/models/sha256:${sha}/stage`, { method: "POST", body: JSON.stringify({ nodes: ["w1"] }) });
    expect(res.status).toBe(202);
    const [job] = StageModelResponseSchema.parse(await res.json()).jobs;
    const done = await waitFor(async () => StagingJobSchema.parse(await (await orch.api(`/v2/catalog/jobs/${job?.job_id ?? ""}`)).json()), (j) => j.state === "completed" || j.state === "failed", 20_000, 50);
    expect(done).toMatchObject({ state: "completed", source_node_id: "control-plane", target_node_id: "w1" });
    expect(await readdir(worker.modelsDir)).toContain("tiny.gguf");
    // A forged grant opens nothing.
    expect((await fetch(`${orch.url}/v2/models/${sha}/content`, { headers: { authorization: "Bearer e30.AAAA" } })).status).toBe(401);
    // Nor does a worker key without a grant: it used to download every model in the store (security adversary, 2026-11-30).
    const workerKey = CreatedApiKeySchema.parse(await (await orch.api("/v2/auth/keys", { method: "POST", body: JSON.stringify({ name: "some worker", scopes: ["worker"] }) })).json()).key;
    const refused = await fetch(`${orch.url}/v2/models/${sha}/content`, { headers: { authorization: `Bearer ${workerKey}` } });
    expect(refused.status).toBe(403);
    expect(ErrorEnvelopeSchema.parse(await refused.json()).code).toBe("FORBIDDEN_SCOPE");
  });

  it("removes a model from the store (DELETE /v2/catalog/models/{id}); the node's copy stays", async () => {
    const sha = sha256Hex(await readFile(testModelPath("tiny")));
    expect((await storeFiles()).filter((f) => f.startsWith(sha))).toHaveLength(2);
    // Before: 404 "no catalog record": nothing removed a store model, so a wrong upload stayed for good.
    const res = await orch.api(`/v2/catalog/models/sha256:${sha}`, { method: "DELETE" });
    expect(res.status).toBe(204);
    expect((await storeFiles()).filter((f) => f.startsWith(sha))).toEqual([]);
    expect(StoreModelListSchema.parse(await (await orch.api("/v2/catalog/store")).json()).models.map((m) => m.sha256)).not.toContain(sha);
    expect((await orch.api(`/v2/catalog/models/sha256:${sha}`, { method: "DELETE" })).status).toBe(404);
    const view = CatalogModelViewSchema.parse(await (await orch.api(`/v2/catalog/models/sha256:${sha}`)).json());
    expect(view.in_store).toBe(false);
    expect(view.nodes.find((n) => n.node_id === "w1")?.state).toBe("verified");
    expect(await readdir(worker.modelsDir)).toContain("tiny.gguf");
  });

  it("a name two models share is refused by the catalog routes (it acted on the first), and a record cannot take another model's name", async () => {
    // Two different files with the same GGUF name: the tiny model with its last byte changed.
    const original = await readFile(testModelPath("tiny"));
    const variants = [1, 2].map((k) => {
      const copy = Buffer.from(original);
      copy[copy.length - 1] = (copy[copy.length - 1] ?? 0) ^ k;
      return copy;
    });
    const shas = variants.map((v) => sha256Hex(v));
    for (const [i, v] of variants.entries()) {
      expect((await orch.api(`/v2/catalog/import?file_name=shared-${i}.gguf`, { method: "PUT", headers: { "content-type": "application/octet-stream" }, body: v })).status).toBe(201);
    }
    // The GGUF name both files carry (w1's copy of the unchanged model has it too).
    const name = testModelName("tiny");
    expect(CatalogModelViewSchema.parse(await (await orch.api(`/v2/catalog/models/sha256:${shas[0] ?? ""}`)).json()).names).toContain(name);
    for (const [method, path] of [["GET", ""], ["DELETE", ""], ["DELETE", "/nodes/w1"], ["POST", "/stage"]] as const) {
      const res = await orch.api(`/v2/catalog/models/${encodeURIComponent(name)}${path}`, { method, ...(method === "POST" ? { body: JSON.stringify({ nodes: ["w1"] }) } : {}) });
      expect(res.status, `${method} ${path}`).toBe(400);
      expect(ErrorEnvelopeSchema.parse(await res.json()).message).toMatch(/names [23] models; use one of their ids/);
    }
    const stored = StoreModelListSchema.parse(await (await orch.api("/v2/catalog/store")).json()).models.map((m) => m.sha256);
    expect(stored).toEqual(expect.arrayContaining(shas));

    // Records: their id is one more name of their model, never another's; one record per model; digests are sha256.
    const record = (body: Record<string, unknown>) => orch.api("/v2/catalog/models", { method: "POST", body: JSON.stringify(body) });
    const refused = async (body: Record<string, unknown>, status: number, text: string) => {
      const res = await record(body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(ErrorEnvelopeSchema.parse(await res.json()).message).toContain(text);
    };
    await refused({ id: `sha256:${shas[1] ?? ""}`, digest: `sha256:${shas[0] ?? ""}` }, 400, "cannot be a sha256 reference");
    await refused({ id: "shared-1.gguf", digest: `sha256:${shas[0] ?? ""}` }, 409, `already names model sha256:${shas[1] ?? ""}`);
    await refused({ id: "md5-record", digest: "md5:abc" }, 400, "must be sha256:<64 hex digits>");
    await refused({ id: "short", digest: "sha256:abc" }, 400, "must be sha256:<64 hex digits>");
    expect((await record({ id: "first-variant", digest: `sha256:${shas[0] ?? ""}` })).status).toBe(201);
    await refused({ id: "second-record", digest: `sha256:${shas[0] ?? ""}` }, 409, "already has the catalog record first-variant");
    // Retiring by the record's id retires that model only, and deleting it leaves the other variant.
    expect((await orch.api("/v2/catalog/models/first-variant/state", { method: "POST", body: JSON.stringify({ state: "Retired" }) })).status).toBeLessThan(300);
    const views = await Promise.all(shas.map(async (sha) => CatalogModelViewSchema.parse(await (await orch.api(`/v2/catalog/models/sha256:${sha}`)).json()).lifecycle));
    expect(views).toEqual(["Retired", "Active"]);
    expect((await orch.api("/v2/catalog/models/first-variant", { method: "DELETE" })).status).toBe(204);
    expect(StoreModelListSchema.parse(await (await orch.api("/v2/catalog/store")).json()).models.map((m) => m.sha256)).toEqual(expect.arrayContaining([shas[1]]));
  });
});
