// The one-click home profile's local worker: a worker agent on this machine, run as a supervised child
// process by src-main/local-worker's LocalWorkerSupervisor (through its CLI, never imported), with a
// status the shell pushes to the dashboard, the tray and the menu.
import { EventEmitter } from "node:events";
import type { Logger } from "pino";
import type { LocalWorkerStatus, LocalWorkerState } from "../../src-shared/ipc/ipc-contract.js";
import type { NodeStatus } from "../../src-shared/nodes/node-info.js";
import type { LocalWorkerOptions } from "../local-worker/local-worker-supervisor.js";
import { ShellError } from "./ipc-registrar.js";

/** What the controller needs of LocalWorkerSupervisor (a fake in tests). */
export interface SupervisorLike {
  readonly state: "stopped" | "starting" | "running" | "restarting";
  readonly pid: number | undefined;
  start(): Promise<void>;
  stop(timeoutMs?: number): Promise<void>;
}

export interface LocalWorkerControllerOptions {
  nodeId: string;
  /** The models folder (read on every start, so a changed setting applies next time). */
  modelsDir: () => string;
  /** Everything else the supervisor needs, built at start (the orchestrator URL is known by then). */
  supervisorOptions: (modelsDir: string) => Omit<LocalWorkerOptions, "modelsDir" | "nodeId">;
  createSupervisor: (options: LocalWorkerOptions) => SupervisorLike;
  /** The node's status in the orchestrator's registry (undefined until it registered). */
  nodeStatus: (nodeId: string) => NodeStatus | undefined;
  /** The remembered one-click choice, reported with the status. */
  choice: () => "ask" | "on" | "off";
  logger: Logger;
  /** How often the supervisor's state is sampled while a worker is active (ms). */
  pollMs?: number;
}

export interface LocalWorkerControllerEvents {
  status: [LocalWorkerStatus];
}

export class LocalWorkerController extends EventEmitter<LocalWorkerControllerEvents> {
  private supervisor: SupervisorLike | null = null;
  private phase: "idle" | "starting" | "stopping" | "failed" = "idle";
  private lastError: string | null = null;
  private starting: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;
  private poll: NodeJS.Timeout | null = null;
  private lastEmitted = "";

  constructor(private readonly opts: LocalWorkerControllerOptions) {
    super();
  }

  status(): LocalWorkerStatus {
    return {
      state: this.state(),
      nodeId: this.opts.nodeId,
      nodeStatus: this.opts.nodeStatus(this.opts.nodeId) ?? null,
      modelsDir: this.opts.modelsDir(),
      pid: this.supervisor?.pid ?? null,
      lastError: this.lastError,
      choice: this.opts.choice(),
    };
  }

  /** Whether a worker is running or on its way (the menus offer Stop then). */
  get active(): boolean {
    const s = this.state();
    return s !== "stopped" && s !== "failed";
  }

  private state(): LocalWorkerState {
    if (this.phase === "stopping") return "stopping";
    if (this.phase === "failed") return "failed";
    if (this.phase === "starting") return "starting";
    return this.supervisor?.state ?? "stopped";
  }

  /** Starts the local worker (idempotent: a second call while starting or running changes nothing). */
  async start(): Promise<LocalWorkerStatus> {
    if (this.stopping) await this.stopping;
    if (this.supervisor && this.phase !== "failed") {
      if (this.starting) await this.starting;
      return this.status();
    }
    const modelsDir = this.opts.modelsDir();
    const supervisor = this.opts.createSupervisor({ ...this.opts.supervisorOptions(modelsDir), modelsDir, nodeId: this.opts.nodeId });
    this.supervisor = supervisor;
    this.phase = "starting";
    this.lastError = null;
    this.startPolling();
    this.notify();
    let failure: string | null = null;
    this.starting = supervisor.start().then(
      () => {
        this.phase = "idle";
        this.opts.logger.info({ node_id: this.opts.nodeId, models_dir: modelsDir }, "local worker started from the desktop app");
      },
      (err: unknown) => {
        this.phase = "failed";
        this.supervisor = null;
        failure = err instanceof Error ? err.message : String(err);
        this.lastError = failure;
        this.opts.logger.error({ err: failure }, "local worker failed to start");
      },
    );
    await this.starting;
    this.starting = null;
    this.notify();
    if (failure !== null) throw new ShellError("LOCAL_WORKER_FAILED", `the local worker could not start: ${failure}`);
    return this.status();
  }

  /** Stops the local worker: SIGTERM (it drains and deregisters), SIGKILL after `timeoutMs`. */
  async stop(timeoutMs = 10_000): Promise<LocalWorkerStatus> {
    if (this.starting) await this.starting;
    const supervisor = this.supervisor;
    if (!supervisor) {
      if (this.phase === "failed") this.phase = "idle";
      this.notify();
      return this.status();
    }
    if (!this.stopping) {
      this.phase = "stopping";
      this.notify();
      this.stopping = supervisor.stop(timeoutMs).finally(() => {
        this.supervisor = null;
        this.phase = "idle";
        this.stopping = null;
        this.stopPolling();
        this.opts.logger.info({ node_id: this.opts.nodeId }, "local worker stopped");
      });
    }
    await this.stopping;
    this.notify();
    return this.status();
  }

  /** Re-evaluates the status and emits it when it changed (call on registry changes too). */
  notify(): void {
    const status = this.status();
    const key = JSON.stringify(status);
    if (key === this.lastEmitted) return;
    this.lastEmitted = key;
    this.emit("status", status);
  }

  private startPolling(): void {
    if (this.poll) return;
    this.poll = setInterval(() => this.notify(), this.opts.pollMs ?? 500);
    this.poll.unref();
  }

  private stopPolling(): void {
    if (this.poll) clearInterval(this.poll);
    this.poll = null;
  }
}
