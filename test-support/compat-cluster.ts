import { NodeListResponseSchema } from "../src-shared/nodes/node-info.js";
import { startTestOrchestrator, type TestOrchestrator } from "./orchestrator-harness.js";
import { startWorkerProcess, type WorkerProcess } from "./worker-process.js";
import type { TestModelKind } from "./models.js";

export interface CompatCluster {
  orch: TestOrchestrator;
  worker: WorkerProcess;
  /** The pool serving a model (by general.name). */
  poolOf(modelName: string): Promise<string>;
  close(): Promise<void>;
}

/** A real orchestrator and one real worker agent (llama.cpp) holding `models`, every pool ready. */
export async function startCompatCluster(nodeId: string, models: TestModelKind[]): Promise<CompatCluster> {
  const orch = await startTestOrchestrator({ pool_probe_interval_ms: 500 });
  const worker = await startWorkerProcess({ nodeId, models, orchestratorUrl: orch.url, token: orch.token, slots: 2 });
  const nodes = async () => NodeListResponseSchema.parse(await (await orch.api("/v2/nodes")).json()).nodes;
  const deadline = Date.now() + 20_000;
  while ((await nodes()).find((n) => n.node_id === nodeId && n.status === "Online")?.pools.filter((p) => p.ready).length !== models.length) {
    if (Date.now() > deadline) throw new Error(`${nodeId} did not get ${models.length} ready pools`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    orch,
    worker,
    async poolOf(modelName) {
      const pool = (await nodes()).flatMap((n) => n.pools).find((p) => p.model?.name === modelName);
      if (pool === undefined) throw new Error(`no pool serves ${modelName}`);
      return pool.pool_id;
    },
    async close() {
      await worker.kill();
      await orch.close();
    },
  };
}

/** A dashboard session cookie (what the dashboard's operator actions carry). */
export async function dashboardCookie(orch: TestOrchestrator): Promise<string> {
  const login = await fetch(`${orch.url}/login?code=${orch.orchestrator.issueLoginCode()}`, { redirect: "manual" });
  return (login.headers.get("set-cookie") ?? "").split(";")[0] as string;
}
