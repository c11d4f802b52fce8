import { execFileSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, unlinkSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodeListResponseSchema } from "../../src-shared/nodes/node-info.js";
import { testModelName } from "../../test-support/models.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { waitFor } from "../../test-support/wait-for.js";
import { startWorkerProcess, type WorkerProcess } from "../../test-support/worker-process.js";

// The orchestrator's disk fills up (its data dir on a small tmpfs, filled to ENOSPC) with a worker
// connected and a task running. Before: the first timer that wrote to SQLite (metrics history, the
// failed-authentication audit, a node's status change) threw out of libsql's transaction wrapper and
// the process died; a streamed request whose accept could not be written hung forever. Now: writes
// the orchestrator keeps in memory go on, what cannot be recorded is refused with 507 STORAGE_FULL,
// and once space is freed everything works again. Needs root (mount).

const TINY = testModelName("tiny");

function skipReason(): string | null {
  if (process.platform !== "linux") return "tmpfs mounts are Linux only";
  if (process.getuid?.() !== 0) return "needs root (mount -t tmpfs)";
  return null;
}
let reason = skipReason();
const mountDir = mkdtempSync(join(tmpdir(), "llorch-diskfull-"));
if (reason === null) {
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=8m", "tmpfs", mountDir], { stdio: "ignore" });
  } catch {
    reason = "mount -t tmpfs is not permitted here";
  }
}
if (reason !== null) console.log(`disk-full: skipped (${reason})`);

let orch: TestOrchestrator;
let worker: WorkerProcess | undefined;
const fillPath = join(mountDir, "fill");

/** Writes zeros until the file system refuses: the disk is full. */
function fillDisk(): void {
  const fd = openSync(fillPath, "w");
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (;;) writeSync(fd, chunk);
  } catch {
    // ENOSPC: full.
  } finally {
    closeSync(fd);
  }
}

const complete = (body: Record<string, unknown>) => orch.api("/v1/completions", { method: "POST", body: JSON.stringify({ model: TINY, prompt: "Once upon a time", max_tokens: 3, ...body }) });
const startWorker = (nodeId: string) => startWorkerProcess({ nodeId, models: ["tiny"], orchestratorUrl: orch.url, token: orch.token, slots: 2 });
const readyPools = async () => NodeListResponseSchema.parse(await (await orch.api("/v2/nodes")).json()).nodes.filter((n) => n.status === "Online").flatMap((n) => n.pools.filter((p) => p.ready));

beforeAll(async () => {
  if (reason !== null) return;
  orch = await startTestOrchestrator({ metrics_history_step_ms: 1000 }, join(mountDir, "data"));
  worker = await startWorker("full-a");
  await waitFor("a ready pool", async () => (await readyPools()).length === 1, 30_000);
}, 60_000);

afterAll(async () => {
  await worker?.kill("SIGKILL");
  await orch?.close().catch(() => undefined);
  if (reason === null) execFileSync("umount", ["-l", mountDir], { stdio: "ignore" });
  rmSync(mountDir, { recursive: true, force: true });
}, 30_000);

describe.skipIf(reason !== null)(`a full disk under the orchestrator${reason !== null ? ` [skipped: ${reason}]` : ""}`, () => {
  it("keeps serving what it can, refuses what it cannot record with 507 STORAGE_FULL, survives its timers and a node's loss, and recovers when space is freed", async () => {
    // A task admitted before the disk fills finishes normally (its accept was recorded).
    const running = complete({ max_tokens: 300 });
    await new Promise((r) => setTimeout(r, 200));
    fillDisk();
    expect((await running).status).toBe(200);

    // New work cannot be journaled: a clear, retriable 507 on every kind of request, streamed or not.
    for (const res of [await complete({}), await complete({ stream: true })]) {
      expect(res.status).toBe(507);
      expect(await res.json()).toMatchObject({ error: { code: "STORAGE_FULL", message: expect.stringMatching(/disk is full/) } });
    }
    const task = await orch.api("/v2/tasks", { method: "POST", body: JSON.stringify({ task_id: crypto.randomUUID(), session_id: crypto.randomUUID(), workload: "completion", model_ref: TINY, engine: "llamacpp", ctx: 512, priority: "interactive", prompt: "hi", max_tokens: 2, deadline_ms: 30_000 }) });
    expect(task.status).toBe(507);
    expect(await task.json()).toMatchObject({ code: "STORAGE_FULL", retriable: true });
    expect((await orch.api("/v2/auth/keys", { method: "POST", body: JSON.stringify({ name: "k", scopes: ["inference"] }) })).status).toBe(507);
    expect((await fetch(`${orch.url}/v1/models`, { headers: { authorization: "Bearer wrong" } })).status).toBe(401);

    // Timers that write (metrics history every second, the failed-authentication audit every 5 s) and a
    // node lost (Suspect, then Offline after 5 s, each a status write and a node event) do not kill it.
    await worker?.kill("SIGKILL");
    worker = undefined;
    await waitFor("the lost node Offline", async () => NodeListResponseSchema.parse(await (await orch.api("/v2/nodes")).json()).nodes.some((n) => n.node_id === "full-a" && n.status === "Offline"), 20_000);
    expect((await fetch(`${orch.url}/health`)).status).toBe(200);
    expect(orch.logs.some((l) => l.includes("metrics history step not recorded"))).toBe(true);

    // Space freed: a worker joins and requests are served again.
    unlinkSync(fillPath);
    worker = await startWorker("full-b");
    await waitFor("a ready pool again", async () => (await readyPools()).length === 1, 30_000);
    expect((await complete({})).status).toBe(200);
  }, 90_000);
});
