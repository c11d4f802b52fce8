// The registration lifecycle against the real orchestrator (in this process) instead of a stand-in:
// register → Online with its pool, orchestrator restart → the worker registers again by itself,
// SIGTERM → deregistered and exit 0.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NodeListResponse } from "../../src-shared/nodes/node-info.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { testModelPath } from "../../test-support/models.js";
import { killAllWorkers, startWorker, TEST_TOKEN, waitFor, type StartedWorker } from "../../test-support/worker-agent-process.js";
import { allowedCpus } from "../engine/engine-cpu-pinning.js";

let orchestrator: TestOrchestrator;
let worker: StartedWorker;

const nodes = async (): Promise<NodeListResponse> => (await (await orchestrator.api("/v2/nodes")).json()) as NodeListResponse;

beforeAll(async () => {
  orchestrator = await startTestOrchestrator();
  expect(orchestrator.token).toBe(TEST_TOKEN);
  worker = await startWorker({
    models: { "tiny.gguf": testModelPath("tiny") },
    config: { node_id: "real-orch-node", orchestrator_url: orchestrator.url, heartbeat_interval_secs: 0.5, registration_max_backoff_ms: 500 },
  });
}, 60_000);

afterAll(async () => {
  await killAllWorkers();
  await orchestrator.close();
});

describe("worker agent with the real orchestrator", () => {
  it("registers and shows Online with its ready pool and model inventory", async () => {
    const list = await waitFor(nodes, (l) => l.nodes.some((n) => n.node_id === "real-orch-node" && n.status === "Online" && n.pools.some((p) => p.ready)), 20_000);
    const node = list.nodes.find((n) => n.node_id === "real-orch-node");
    expect(node?.address).toBe(worker.url);
    expect(node?.pool_ids).toEqual(["real-orch-node.tiny"]);
    expect(node?.models.map((m) => m.file_name)).toEqual(["tiny.gguf"]);
  });

  it("registers again by itself after the orchestrator restarts", async () => {
    // Its one-thread engine is pinned first where there is a CPU to pin it to (engine-cpu-pinning.ts).
    if (process.platform === "linux" && allowedCpus().length >= 2) await worker.waitForLog((l) => l.msg === "engine pinned to a CPU");
    const registrationsBefore = worker.logs.filter((l) => l.msg === "registered with orchestrator").length;
    await orchestrator.restart();
    await waitFor(async () => worker.logs.filter((l) => l.msg === "registered with orchestrator").length, (n) => n > registrationsBefore, 20_000);
    const list = await waitFor(nodes, (l) => l.nodes.some((n) => n.node_id === "real-orch-node" && n.status === "Online"), 20_000);
    // Registered again after its one-thread engine was pinned to a CPU (and the agent moved off it):
    // the node still reports the CPUs it started with, not its own narrowed affinity.
    expect(list.nodes.find((n) => n.node_id === "real-orch-node")?.capabilities.cpu_cores).toBe(allowedCpus().length);
  });

  it("deregisters on SIGTERM and exits 0", async () => {
    expect(await worker.stop("SIGTERM")).toEqual({ code: 0, signal: null });
    const list = await nodes();
    expect(list.nodes.some((n) => n.node_id === "real-orch-node")).toBe(false);
  });
});
