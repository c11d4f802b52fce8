import { mkdtempSync, rmSync } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../../scripts/gguf/write-tiny-gguf.js";
import { HubPullSchema, type HubPull } from "../../src-shared/catalog/hub-pull.js";
import { StoreModelListSchema } from "../../src-shared/catalog/store-model.js";
import { freePort, startHeadlessOrchestrator, type HeadlessOrchestrator } from "../../test-support/headless-process.js";
import { startLocalHub, type LocalHub } from "../../test-support/local-hub.js";
import { ensureBigModel } from "../../test-support/staging-cluster.js";
import { waitFor } from "../../test-support/wait-for.js";

// A hub pull interrupted by SIGKILLing the orchestrator process carries on by itself when the
// orchestrator starts again (same data dir): nobody posts it again, it keeps its id, and it resumes
// from its part file, so the hub sends little more than the file once.
const TOKEN = "hub-restart-token-0123456789abcdef0123456789";
let dataDir: string;
let port: number;
let orch: HeadlessOrchestrator;
let hub: LocalHub;
let bigPath = "";

const api = (path: string, init: RequestInit = {}) => fetch(`${orch.url}${path}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json", ...init.headers } });
const pullStatus = async (id: string): Promise<HubPull> => HubPullSchema.parse(await (await api(`/v2/catalog/pulls/${id}`)).json());
const start = () => startHeadlessOrchestrator({ port, dataDir, token: TOKEN, env: { LLORCH_HUB_BASE_URL: hub.url } });

beforeAll(async () => {
  bigPath = await ensureBigModel();
  hub = await startLocalHub({ "/acme/big-GGUF/resolve/main/big-q8.gguf": bigPath });
  dataDir = mkdtempSync(join(tmpdir(), "llorch-hub-restart-"));
  port = await freePort();
  orch = await start();
}, 60_000);

afterAll(async () => {
  await orch?.kill("SIGKILL");
  await hub?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("a hub pull across an orchestrator SIGKILL", () => {
  it("resumes from its part file after the restart on its own and verifies, fetching < 1.2x the file", async () => {
    const size = (await stat(bigPath)).size;
    const sha = sha256Hex(await readFile(bigPath));
    // Capped so the pull is still running when the process is killed.
    const res = await api("/v2/catalog/pull", { method: "POST", body: JSON.stringify({ ref: "hf://acme/big-GGUF/big-q8.gguf", bandwidth_limit_bytes_per_s: 12_000_000 }) });
    expect(res.status).toBe(202);
    const id = HubPullSchema.parse(await res.json()).pull_id;
    const before = await waitFor(() => pullStatus(id), (p) => p.bytes_done > size * 0.3 || p.finished_at_ms !== null, 30_000);
    expect(before.state).toBe("transferring");
    await orch.kill("SIGKILL");
    const parts = (await readdir(join(dataDir, "models"))).filter((f) => f.endsWith(".part"));
    expect(parts).toHaveLength(1);
    const kept = (await stat(join(dataDir, "models", parts[0] as string))).size;
    expect(kept).toBeGreaterThan(0);

    orch = await start();
    // Refused connections while the process starts count as "not yet".
    const done = await waitFor(() => pullStatus(id), (p) => p.finished_at_ms !== null, 60_000, 100);
    expect(done).toMatchObject({ pull_id: id, state: "completed", sha256: sha, size_bytes: size, bytes_done: size, error: null });
    expect(done.resumed_from).toBe(kept);
    expect(done.bytes_transferred).toBe(size - kept);
    expect(hub.bytesSent).toBeLessThan(1.2 * size);
    const store = StoreModelListSchema.parse(await (await api("/v2/catalog/store")).json());
    expect(store.models.map((m) => m.sha256)).toContain(sha);
    expect((await readdir(join(dataDir, "models"))).filter((f) => f.endsWith(".part"))).toEqual([]);
    console.log(`hub pull across SIGKILL: ${size} byte file, killed at ${kept} bytes on disk, hub sent ${hub.bytesSent} bytes in total (${(hub.bytesSent / size).toFixed(3)}x)`);
  }, 120_000);
});
