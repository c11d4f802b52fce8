// The cluster a fault run works on: the real orchestrator as a child process (so it can be
// SIGKILLed and started again on the same port and data dir) and real worker agents, each reached
// by the orchestrator only through its own fault proxy (workers advertise the proxy's address).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Prng } from "../../scripts/gguf/prng.js";
import { freePort, startHeadlessOrchestrator, type HeadlessOrchestrator } from "../headless-process.js";
import type { TestModelKind } from "../models.js";
import { startWorkerProcess, type WorkerProcess } from "../worker-process.js";
import { startFaultProxy, type FaultProxy } from "./fault-proxy.js";

export const FAULT_TOKEN = "fault-token-0123456789abcdef0123456789abcdef";

export interface ClusterNode {
  readonly nodeId: string;
  readonly models: TestModelKind[];
  proxy: FaultProxy;
  worker: WorkerProcess | undefined;
  /** Set while the agent is SIGSTOPped (so healing knows to SIGCONT it). */
  stopped: boolean;
}

export interface FaultCluster {
  readonly url: string;
  readonly nodes: ClusterNode[];
  readonly orchestrator: () => HeadlessOrchestrator | undefined;
  /** SIGKILL the orchestrator; `restartOrchestrator` brings it back on the same port and data dir. */
  killOrchestrator(): Promise<void>;
  restartOrchestrator(): Promise<void>;
  /** (Re)starts a node's agent behind its proxy. */
  startNode(node: ClusterNode): Promise<void>;
  close(): Promise<void>;
}

export async function startFaultCluster(layout: Record<string, TestModelKind[]>, rng: Prng, env: Record<string, string> = {}): Promise<FaultCluster> {
  const dataDir = mkdtempSync(join(tmpdir(), "llorch-faults-"));
  const port = await freePort();
  let orchestrator: HeadlessOrchestrator | undefined = await startHeadlessOrchestrator({ port, dataDir, token: FAULT_TOKEN });
  const url = orchestrator.url;
  const nodes: ClusterNode[] = [];
  for (const [nodeId, models] of Object.entries(layout)) nodes.push({ nodeId, models, proxy: await startFaultProxy(rng), worker: undefined, stopped: false });

  const startNode = async (node: ClusterNode): Promise<void> => {
    const worker = await startWorkerProcess({
      nodeId: node.nodeId,
      models: node.models,
      orchestratorUrl: url,
      token: FAULT_TOKEN,
      slots: 2,
      env: { POOL_MANAGERD_ADVERTISE_URL: node.proxy.url, ...env },
      config: { catalog_poll_ms: 500 },
      startTimeoutMs: 60_000,
    });
    node.proxy.setTarget(worker.address);
    node.worker = worker;
    node.stopped = false;
  };
  await Promise.all(nodes.map(startNode));

  return {
    url,
    nodes,
    orchestrator: () => orchestrator,
    startNode,
    async killOrchestrator() {
      await orchestrator?.kill("SIGKILL");
      orchestrator = undefined;
    },
    async restartOrchestrator() {
      orchestrator = await startHeadlessOrchestrator({ port, dataDir, token: FAULT_TOKEN });
    },
    async close() {
      for (const node of nodes) {
        if (node.worker !== undefined && node.stopped) process.kill(node.worker.pid, "SIGCONT");
        await node.worker?.kill("SIGKILL");
        await node.proxy.close();
      }
      await orchestrator?.kill("SIGKILL");
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
