// A worker agent started from an installed bin (not the repository's dist/), for the packaging tests:
// stdout/stderr captured, stop() = SIGTERM to its pid, SIGKILL after a bound.
import { spawn } from "node:child_process";

export interface InstalledWorker {
  output(): string;
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function startInstalledWorker(bin: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<InstalledWorker> {
  const child = spawn(bin, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (c: Buffer) => (output = (output + c.toString()).slice(-200_000)));
  child.stderr.on("data", (c: Buffer) => (output = (output + c.toString()).slice(-200_000)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  // A failed test must not leak the agent (or its engine processes).
  const onExit = () => child.kill("SIGKILL");
  process.once("exit", onExit);
  await new Promise<void>((resolve, reject) => {
    child.once("spawn", () => resolve());
    child.once("error", reject);
  });
  return {
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
        process.off("exit", onExit);
      }
    },
  };
}
