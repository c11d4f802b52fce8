import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Logger } from "pino";
import { hasGgufModels } from "./models-dir.js";

export interface LocalWorkerOptions {
  orchestratorUrl: string;
  token: string;
  /** With TLS on: the cluster CA the local worker pins (it stays on plain loopback HTTP itself). */
  caFingerprint?: string | null;
  modelsDir: string;
  dataDir: string;
  nodeId?: string;
  /** Generate a small demo model when the models dir holds no model, so a first run has something to serve. */
  demoModelWhenEmpty?: boolean;
  logger: Logger;
  /** Extra environment for the worker (e.g. its log level). */
  env?: Record<string, string>;
  /** Node binary to run the worker with; Electron passes its own with ELECTRON_RUN_AS_NODE. */
  execPath?: string;
  /** Where the worker's output lines go (default: this process's stderr, prefixed `[local-worker]`). */
  onOutput?: (line: string) => void;
}

export type LocalWorkerState = "stopped" | "starting" | "running" | "restarting";

// Found through the package's own exports (package.json "exports"), not by a relative path into
// another folder: wherever this file is compiled or bundled, the package says where its CLIs are.
const WORKER_CLI = fileURLToPath(import.meta.resolve("llama-orch/worker-cli"));
const MAKE_MODEL_CLI = fileURLToPath(import.meta.resolve("llama-orch/make-model"));
const MAX_BACKOFF_MS = 30_000;

/**
 * Runs a worker agent on this machine as a supervised child process through its CLI (DESIGN.md §1:
 * never imported). It restarts with capped exponential backoff when it dies, and stops it with
 * SIGTERM (the agent drains and deregisters) on stop().
 */
export class LocalWorkerSupervisor {
  private child: ChildProcess | null = null;
  private stopping = false;
  private restarts = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  state: LocalWorkerState = "stopped";

  constructor(private readonly opts: LocalWorkerOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    this.stopping = false;
    mkdirSync(this.opts.modelsDir, { recursive: true });
    if (this.opts.demoModelWhenEmpty && !hasGgufModels(this.opts.modelsDir)) await this.makeDemoModel();
    this.spawnWorker();
  }

  async stop(timeoutMs = 10_000): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child || child.exitCode !== null) {
      this.state = "stopped";
      return;
    }
    await new Promise<void>((resolve) => {
      const kill = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      child.once("exit", () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill("SIGTERM");
    });
    this.state = "stopped";
  }

  private spawnWorker(): void {
    if (!existsSync(WORKER_CLI)) throw new Error(`worker agent not built at ${WORKER_CLI}; run npm run build`);
    this.state = this.restarts === 0 ? "starting" : "restarting";
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...this.opts.env,
      ORCHESTRATORD_URL: this.opts.orchestratorUrl,
      LLORCH_API_TOKEN: this.opts.token,
      ...(this.opts.caFingerprint ? { LLORCH_CA_FINGERPRINT: this.opts.caFingerprint } : {}),
      POOL_MANAGERD_BIND_ADDR: "127.0.0.1:0",
      POOL_MANAGERD_MODELS_DIR: this.opts.modelsDir,
      POOL_MANAGERD_RUNTIME_DIR: join(this.opts.dataDir, "worker-runtime"),
      POOL_MANAGERD_DATA_DIR: join(this.opts.dataDir, "worker-data"),
      ...(this.opts.nodeId ? { POOL_MANAGERD_NODE_ID: this.opts.nodeId } : {}),
      // The OTLP endpoint is shared with the orchestrator; a service name set for it gets a suffix here, so traces tell the two apart.
      ...(process.env.OTEL_SERVICE_NAME !== undefined && this.opts.env?.OTEL_SERVICE_NAME === undefined ? { OTEL_SERVICE_NAME: `${process.env.OTEL_SERVICE_NAME}-worker` } : {}),
    };
    // stdin is a pipe this process holds open: if it dies (even by SIGKILL) the worker sees it close and exits.
    const child = spawn(this.opts.execPath ?? process.execPath, [WORKER_CLI, "start", "--exit-with-stdin"], { env, stdio: ["pipe", "pipe", "pipe"] });
    this.child = child;
    const started = Date.now();
    const forward = (stream: NodeJS.ReadableStream | null) => {
      let buffered = "";
      stream?.setEncoding("utf8");
      stream?.on("data", (chunk: string) => {
        buffered += chunk;
        let nl: number;
        while ((nl = buffered.indexOf("\n")) >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          if (line.trim() === "") continue;
          if (this.opts.onOutput) this.opts.onOutput(line);
          else process.stderr.write(`[local-worker] ${line}\n`);
        }
      });
    };
    forward(child.stdout);
    forward(child.stderr);
    child.once("spawn", () => {
      this.state = "running";
      this.opts.logger.info({ pid: child.pid }, "local worker started");
    });
    child.once("exit", (code, signal) => {
      this.child = null;
      if (this.stopping) return;
      // A run that lasted a minute resets the backoff: it was a crash, not a crash loop.
      if (Date.now() - started > 60_000) this.restarts = 0;
      const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.restarts);
      this.restarts++;
      this.state = "restarting";
      this.opts.logger.warn({ code, signal, restart_in_ms: delay }, "local worker exited; restarting");
      this.restartTimer = setTimeout(() => this.spawnWorker(), delay);
      this.restartTimer.unref();
    });
  }

  /** Context 4096, not the maker's 512: a chat with tools (their instructions alone are ~600 tokens) or a longer conversation must fit. */
  private async makeDemoModel(): Promise<void> {
    const out = join(this.opts.modelsDir, "llama-orch-demo.gguf");
    this.opts.logger.info({ path: out }, "no model in the models folder: generating a small demo model");
    await new Promise<void>((resolve, reject) => {
      const p = spawn(this.opts.execPath ?? process.execPath, [MAKE_MODEL_CLI, out, "--size", "medium", "--ctx", "4096", "--chat-template", "chatml", "--name", "llama-orch-demo"], { stdio: "ignore", env: { ...process.env, ...this.opts.env } });
      p.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`demo model generation failed (exit ${code})`))));
      p.once("error", reject);
    });
  }
}
