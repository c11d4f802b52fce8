import { spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { testModelPath, type TestModelKind } from "./models.js";

export const WORKER_CLI = join(process.cwd(), "dist/worker-agent/cli.js");

// Every worker this test process started: a failed test must not leak agents (or their engines).
const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

export interface WorkerProcess {
  nodeId: string;
  pid: number;
  /** The worker's own API base URL. */
  address: string;
  modelsDir: string;
  child: ChildProcess;
  /** Every line the worker printed (stdout and stderr). */
  lines: string[];
  /** Sends a signal and waits for the process to exit (bounded). */
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
  startTimeoutMs?: number;
}

/**
 * Starts the compiled worker agent (`dist/worker-agent/cli.js start`) as a real process on
 * 127.0.0.1 with a private models dir holding copies of the generated test models.
 */
export async function startWorkerProcess(opts: StartWorkerOptions): Promise<WorkerProcess> {
  const root = mkdtempSync(join(tmpdir(), `llorch-worker-${opts.nodeId}-`));
  const modelsDir = join(root, "models");
  mkdirSync(modelsDir);
  for (const kind of opts.models) copyFileSync(testModelPath(kind), join(modelsDir, basename(testModelPath(kind))));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: root,
    POOL_MANAGERD_NODE_ID: opts.nodeId,
    POOL_MANAGERD_BIND_ADDR: "127.0.0.1:0",
    POOL_MANAGERD_MODELS_DIR: modelsDir,
    POOL_MANAGERD_RUNTIME_DIR: join(root, "runtime"),
    POOL_MANAGERD_DATA_DIR: join(root, "data"),
    POOL_MANAGERD_HEARTBEAT_INTERVAL_SECS: "0.5",
    LLORCH_API_TOKEN: opts.token,
    LLORCH_LOG_LEVEL: "info",
    ...(opts.orchestratorUrl ? { ORCHESTRATORD_URL: opts.orchestratorUrl } : {}),
    ...(opts.slots ? { POOL_MANAGERD_AUTO_POOL_SLOTS: String(opts.slots) } : {}),
    ...opts.env,
  };
  const child = spawn(process.execPath, [WORKER_CLI, "start"], { env, stdio: ["ignore", "pipe", "pipe"] });
  live.add(child);
  child.once("exit", () => live.delete(child));
  const lines: string[] = [];
  let resolveAddress: (a: string) => void = () => {};
  let rejectAddress: (e: Error) => void = () => {};
  const addressPromise = new Promise<string>((resolve, reject) => {
    resolveAddress = resolve;
    rejectAddress = reject;
  });
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split("\n")) {
      if (line.trim() === "") continue;
      lines.push(line);
      try {
        const entry = JSON.parse(line) as { msg?: string; address?: string };
        if (entry.msg === "listening" && typeof entry.address === "string") resolveAddress(entry.address);
      } catch {
        // not a JSON line
      }
    }
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  child.once("exit", (code, signal) => rejectAddress(new Error(`worker ${opts.nodeId} exited (${code ?? signal}) before listening:\n${lines.slice(-20).join("\n")}`)));
  const timeout = setTimeout(() => rejectAddress(new Error(`worker ${opts.nodeId} did not listen in time:\n${lines.slice(-20).join("\n")}`)), opts.startTimeoutMs ?? 20_000);
  const address = await addressPromise.finally(() => clearTimeout(timeout));
  return {
    nodeId: opts.nodeId,
    pid: child.pid as number,
    address,
    modelsDir,
    child,
    lines,
    async kill(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
        child.kill(signal);
        const guard = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(guard);
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}
