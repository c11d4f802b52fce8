import { basename } from "node:path";
import { testModelPath, type TestModelKind } from "./models.js";
import { startWorker } from "./worker-agent-process.js";

export interface WorkerProcess {
  nodeId: string;
  pid: number;
  /** The worker's own API base URL. */
  address: string;
  modelsDir: string;
  /** Every line the worker printed (stdout JSON lines and stderr). */
  readonly lines: string[];
  /** Sends a signal and waits for the process to exit (bounded); temp dirs go with killAllWorkers. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export interface StartWorkerOptions {
  nodeId: string;
  models: TestModelKind[];
  orchestratorUrl?: string;
  token: string;
  /** Slots per auto-discovered pool. */
  slots?: number;
  env?: Record<string, string>;
  /** Extra worker config keys (e.g. catalog_poll_ms). */
  config?: Record<string, unknown>;
  startTimeoutMs?: number;
  /** See worker-agent-process.ts (e.g. run the agent in a network namespace). */
  commandPrefix?: string[];
}

/**
 * A worker agent registering to an orchestrator under test: the generic harness of
 * worker-agent-process.ts with the generated test models, a node id, the cluster token and a fast
 * heartbeat (0.5 s; `env` can override it).
 */
export async function startWorkerProcess(opts: StartWorkerOptions): Promise<WorkerProcess> {
  const worker = await startWorker({
    models: Object.fromEntries(opts.models.map((kind) => [basename(testModelPath(kind)), testModelPath(kind)])),
    config: {
      node_id: opts.nodeId,
      heartbeat_interval_secs: 0.5,
      ...(opts.orchestratorUrl ? { orchestrator_url: opts.orchestratorUrl } : {}),
      ...(opts.slots ? { auto_pool_slots: opts.slots } : {}),
      ...opts.config,
    },
    env: { LLORCH_API_TOKEN: opts.token, ...opts.env },
    timeoutMs: opts.startTimeoutMs ?? 20_000,
    ...(opts.commandPrefix !== undefined ? { commandPrefix: opts.commandPrefix } : {}),
  });
  return {
    nodeId: opts.nodeId,
    pid: worker.pid,
    address: worker.url,
    modelsDir: worker.modelsDir,
    get lines() {
      return [...worker.logs.map((l) => JSON.stringify(l)), ...worker.stderr().split("\n")];
    },
    async kill(signal = "SIGTERM") {
      await worker.stop(signal, 10_000);
    },
  };
}
