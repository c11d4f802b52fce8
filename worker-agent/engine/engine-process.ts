import { fork, type ChildProcess } from "node:child_process";
import { EventEmitter } from "node:events";
import { fileURLToPath } from "node:url";
import type { EngineToParentMessage, ParentToEngineMessage } from "./engine-ipc.js";
import { parseEngineWire } from "./engine-wire.js";
import { engineChildEnv } from "./engine-threadpool.js";

/** The compiled engine host next to this file (dist/worker-agent/engine/engine-host.js). */
export const ENGINE_HOST_PATH = fileURLToPath(new URL("./engine-host.js", import.meta.url));

export interface EngineExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export function describeExit(exit: EngineExit): string {
  return exit.signal !== null ? `killed by ${exit.signal}` : `exited with code ${exit.code ?? "?"}`;
}

/**
 * Parent-side handle of one engine child. Messages from the child are validated (engine-wire.ts) and
 * token batches unpacked; an invalid one is reported as "protocol_error" (and the child is killed by the owner).
 */
export class EngineProcess extends EventEmitter<{ message: [EngineToParentMessage]; exit: [EngineExit]; protocol_error: [string] }> {
  /** engine-host answers pings while it loads: the load and the thread calibration run off its event loop. */
  readonly answersPingsWhileLoading = true;
  private readonly child: ChildProcess;
  private exited: EngineExit | undefined;
  private readonly exitPromise: Promise<EngineExit>;

  constructor(env: NodeJS.ProcessEnv) {
    super();
    // LLORCH_ENGINE_CPU_PROF=<dir>: the child writes a V8 CPU profile there when it exits (benchmarks, profiling).
    const profileDir = env.LLORCH_ENGINE_CPU_PROF;
    const execArgv = profileDir !== undefined && profileDir !== "" ? [...process.execArgv, "--cpu-prof", "--cpu-prof-dir", profileDir] : process.execArgv;
    this.child = fork(ENGINE_HOST_PATH, [], { stdio: ["ignore", "inherit", "inherit", "ipc"], env: engineChildEnv(env), execArgv, serialization: "json" });
    this.exitPromise = new Promise((resolve) => {
      this.child.once("exit", (code, signal) => {
        this.exited = { code, signal };
        resolve(this.exited);
        this.emit("exit", this.exited);
      });
    });
    this.child.on("message", (raw: unknown) => {
      const parsed = parseEngineWire(raw);
      if (!parsed.ok) this.emit("protocol_error", parsed.message);
      else for (const message of parsed.messages) this.emit("message", message);
    });
    // An IPC write to a dying child fails asynchronously; the exit event is what matters.
    this.child.on("error", () => undefined);
  }

  get pid(): number | undefined {
    return this.exited === undefined ? this.child.pid : undefined;
  }

  get alive(): boolean {
    return this.exited === undefined;
  }

  /**
   * True when the message is written or queued for the child. Node's send() returns false under
   * backpressure (e.g. a 500 KB prompt fills the pipe) yet still delivers the message, in order;
   * treating that as a failure freed a slot while the engine went on to run the task. False only
   * when the child cannot be reached; a write that fails later means the child is dying, and its
   * exit is what ends the tasks.
   */
  send(message: ParentToEngineMessage): boolean {
    if (this.exited !== undefined || !this.child.connected) return false;
    try {
      this.child.send(message);
      return true;
    } catch {
      return false;
    }
  }

  kill(signal: NodeJS.Signals = "SIGKILL"): void {
    if (this.exited === undefined) this.child.kill(signal);
  }

  /** Asks the child to dispose and exit; SIGKILL after graceMs. */
  async stop(graceMs = 3000): Promise<EngineExit> {
    if (this.exited !== undefined) return this.exited;
    this.send({ type: "shutdown" });
    const timer = setTimeout(() => this.kill("SIGKILL"), graceMs);
    try {
      return await this.exitPromise;
    } finally {
      clearTimeout(timer);
    }
  }
}
