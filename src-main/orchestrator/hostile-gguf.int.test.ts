import { mkdtempSync, rmSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../../scripts/gguf/write-tiny-gguf.js";
import { NodeListResponseSchema } from "../../src-shared/nodes/node-info.js";
import { HOSTILE_GGUFS, writeHostileGgufs } from "../../test-support/hostile-gguf.js";
import { testModelPath } from "../../test-support/models.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { startStagingWorker } from "../../test-support/staging-cluster.js";
import { killAllWorkers, postJson, waitFor, type StartedWorker } from "../../test-support/worker-agent-process.js";

// GGUF files whose headers lie (2^62 keys or tensors, a 2^40-byte key, a 1.5 GB or 2^64 string, 2^60
// array items, overflowing dimensions), an HTML page and an empty file: in a worker's models dir, offered
// to it in place, and uploaded to the orchestrator's store. Every reader must refuse them in bounded time.
let orch: TestOrchestrator;
let worker: StartedWorker;
let dir = "";
let paths: Record<string, string> = {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "llorch-hostile-"));
  paths = await writeHostileGgufs(dir);
  orch = await startTestOrchestrator({});
  // Before: node-llama-cpp's reader trusted the counts and read on past the end of the file, memory
  // growing without bound: the agent's first catalog scan never ended and it never started.
  worker = await startStagingWorker({ orchestratorUrl: orch.url, token: orch.token, nodeId: "h", models: { ...paths, "tiny.gguf": testModelPath("tiny") } });
}, 90_000);

afterAll(async () => {
  await killAllWorkers();
  await orch?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("GGUF files with hostile headers", () => {
  it("in a worker's models dir: the agent starts and reports only the real model", async () => {
    const tiny = sha256Hex(await readFile(testModelPath("tiny")));
    const node = await waitFor(async () => NodeListResponseSchema.parse(await (await orch.api("/v2/nodes")).json()).nodes.find((n) => n.node_id === "h" && n.status === "Online"), (n) => (n?.models.length ?? 0) > 0, 30_000);
    expect(node?.models.map((m) => m.sha256)).toEqual([tiny]);
  }, 40_000);

  it("offered to the worker in place: each is refused with 400, the agent keeps serving", async () => {
    for (const name of Object.keys(HOSTILE_GGUFS)) {
      const res = await postJson<{ code: string; message: string }>(`${worker.url}/v2/models/in-place`, { path: paths[name] }, orch.token);
      expect(res.status, name).toBe(400);
      expect(res.body.code).toBe("INVALID_PARAMS");
    }
    expect((await fetch(`${worker.url}/health`)).status).toBe(200);
  }, 40_000);

  it("uploaded to the orchestrator's store: each is refused with 400 naming the problem, nothing is kept", async () => {
    for (const [name, bytes] of Object.entries(HOSTILE_GGUFS)) {
      const res = await orch.api(`/v2/catalog/import?file_name=${name}`, { method: "PUT", headers: { "content-type": "application/octet-stream" }, body: new Uint8Array(bytes) });
      const body = (await res.json()) as { code: string; message: string };
      expect(res.status, name).toBe(400);
      expect(body.message, name).toMatch(/not a usable GGUF model/);
    }
    expect((await (await orch.api("/v2/catalog/store")).json()) as unknown).toEqual({ models: [] });
    expect((await readdir(join(orch.dataDir, "models"))).filter((f) => f.endsWith(".part"))).toEqual([]);
  }, 40_000);
});
