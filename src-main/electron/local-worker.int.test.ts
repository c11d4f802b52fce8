// The one-click home profile without Electron: the shell's LocalWorkerController driving the real
// LocalWorkerSupervisor against a real orchestrator, with Node standing in for Electron's binary (in the
// app it is process.execPath with ELECTRON_RUN_AS_NODE=1). An empty models folder gets the demo model; the
// node registers with a ready pool within seconds; Stop deregisters it. Needs `npm run build` (npm test
// builds): the supervisor finds the worker CLI and the model maker beside its compiled file, so it is
// loaded from dist/ exactly as the packaged app loads it.
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodeListResponseSchema } from "../../src-shared/nodes/node-info.js";
import type { LocalWorkerStatus } from "../../src-shared/ipc/ipc-contract.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { LocalWorkerController } from "./local-worker-controller.js";
import { waitFor } from "../../test-support/wait-for.js";

let orch: TestOrchestrator;
let dir: string;
let controller: LocalWorkerController;
const events: LocalWorkerStatus[] = [];

async function nodes() {
  return NodeListResponseSchema.parse(await (await orch.api("/v2/nodes")).json()).nodes;
}


beforeAll(async () => {
  const { LocalWorkerSupervisor } = await import("../../dist/src-main/local-worker/local-worker-supervisor.js");
  orch = await startTestOrchestrator({ log_level: "warn" });
  dir = mkdtempSync(join(tmpdir(), "llorch-oneclick-"));
  const logger = pino({ level: "warn" });
  controller = new LocalWorkerController({
    nodeId: "local",
    modelsDir: () => join(dir, "models"),
    supervisorOptions: () => ({ orchestratorUrl: orch.url, token: orch.token, dataDir: join(dir, "data"), demoModelWhenEmpty: true, logger, execPath: process.execPath, env: { LLORCH_LOG_LEVEL: "warn" } }),
    createSupervisor: (options) => new LocalWorkerSupervisor(options),
    nodeStatus: (id) => orch.orchestrator.nodeStatus(id),
    choice: () => "on",
    logger,
    pollMs: 100,
  });
  controller.on("status", (s) => events.push(s));
}, 60_000);

afterAll(async () => {
  await controller?.stop(3000);
  await orch?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("one-click local worker", () => {
  it("starts on an empty models folder with a generated demo model and registers with a ready pool", async () => {
    const started = Date.now();
    const status = await controller.start();
    expect(["starting", "running"]).toContain(status.state);
    expect(readdirSync(join(dir, "models")).filter((f) => f.endsWith(".gguf"))).toEqual(["llama-orch-demo.gguf"]);
    const node = await waitFor("the local node with a ready pool", async () => (await nodes()).find((n) => n.node_id === "local" && n.status === "Online" && n.pools.some((p) => p.ready)), 45_000);
    expect(node.pools.length).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(45_000);
    controller.notify();
    expect(controller.status()).toMatchObject({ state: "running", nodeStatus: "Online", nodeId: "local" });
    expect(controller.status().pid).toBeGreaterThan(0);
    expect(events.some((e) => e.nodeStatus === "Online")).toBe(true);
  }, 60_000);

  it("Stop drains and deregisters the node, and the status says stopped", async () => {
    const status = await controller.stop();
    expect(status).toMatchObject({ state: "stopped", pid: null });
    await waitFor("the local node to leave Online", async () => ((await nodes()).find((n) => n.node_id === "local")?.status === "Online" ? undefined : true), 10_000);
  }, 20_000);
});
