import { spawn, type ChildProcessByStdio } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import type { SetAffinity } from "./engine-cpu-pinning.js";

// Node has no sched_setaffinity, so affinity changes run `taskset`. Started straight from the agent,
// each run forks the whole agent process: 23 ms and 12 ms of the agent's CPU per change on the 2-core
// build box (200 MB resident), and a pinned engine changes its affinity whenever its pool goes from one
// stream to several and back. So one small `sh` stays up and runs taskset for the agent, one request per
// line: 4 ms and 0.4 ms of the agent's CPU per change. The pids and CPU lists it is given are numbers the
// agent formats itself. It exits with the agent (end of its input) and is started again after a failure.

const LOOP = 'while read -r pid cpus; do out=$(taskset -a -p -c "$cpus" "$pid" 2>&1 >/dev/null); echo "$? $out" | tr "\\n" " "; echo; done';

interface Pending {
  resolve: () => void;
  reject: (error: Error) => void;
}

/** Runs taskset through one long-lived shell; `set` has the SetAffinity signature. */
export class TasksetHelper {
  private child: ChildProcessByStdio<Writable, Readable, null> | undefined;
  private readonly pending: Pending[] = [];
  private buffered = "";

  readonly set: SetAffinity = (pid, cpus) =>
    new Promise<void>((resolve, reject) => {
      if (!Number.isInteger(pid) || pid <= 0 || cpus.length === 0 || !cpus.every((c) => Number.isInteger(c) && c >= 0)) {
        reject(new Error(`invalid affinity request: pid ${pid}, CPUs ${cpus.join(",")}`));
        return;
      }
      const child = this.ensure();
      this.pending.push({ resolve, reject });
      child.stdin.write(`${pid} ${cpus.join(",")}\n`);
    });

  /** Ends the shell (its pending requests fail). */
  close(): void {
    this.child?.stdin.end();
    this.fail(new Error("taskset helper closed"));
    this.child = undefined;
  }

  private ensure(): ChildProcessByStdio<Writable, Readable, null> {
    if (this.child !== undefined) return this.child;
    const child = spawn("sh", ["-c", LOOP], { stdio: ["pipe", "pipe", "ignore"] });
    this.child = child;
    // Never what keeps the agent alive.
    child.unref();
    (child.stdout as Readable & { unref?: () => void }).unref?.();
    (child.stdin as Writable & { unref?: () => void }).unref?.();
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => this.onOutput(chunk));
    const gone = (error: Error): void => {
      if (this.child === child) this.child = undefined;
      this.fail(error);
    };
    child.on("error", (error) => gone(new Error(`cannot run sh for taskset: ${error.message}`)));
    child.on("exit", (code, signal) => gone(new Error(`the taskset shell ${signal !== null ? `was killed by ${signal}` : `exited with code ${code ?? "?"}`}`)));
    child.stdin.on("error", () => undefined); // a write to a dead shell: its exit fails the request
    return child;
  }

  private onOutput(chunk: string): void {
    this.buffered += chunk;
    for (let end = this.buffered.indexOf("\n"); end >= 0; end = this.buffered.indexOf("\n")) {
      const line = this.buffered.slice(0, end).trim();
      this.buffered = this.buffered.slice(end + 1);
      const request = this.pending.shift();
      if (request === undefined) continue;
      const status = Number(line.split(" ", 1)[0]);
      if (status === 0) request.resolve();
      else request.reject(new Error(`taskset failed (${status === 127 ? "taskset not found" : `exit ${status}`}): ${line.slice(line.indexOf(" ") + 1).trim()}`));
    }
  }

  private fail(error: Error): void {
    this.buffered = "";
    for (const request of this.pending.splice(0)) request.reject(error);
  }
}
