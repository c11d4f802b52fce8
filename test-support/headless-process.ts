// The headless orchestrator (dist/src-main/headless/cli.js) as a real child process, for tests that
// must kill it at the worst moment (SIGKILL) and start it again on the same port and data dir.
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";

export interface HeadlessOrchestrator {
  readonly url: string;
  readonly pid: number;
  /** Sends a signal and waits (bounded) for the process to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** A port that was free a moment ago on 127.0.0.1 (for a process that must come back on it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export async function startHeadlessOrchestrator(opts: { port: number; dataDir: string; token: string; env?: Record<string, string> }): Promise<HeadlessOrchestrator> {
  const child = spawn(process.execPath, ["dist/src-main/headless/cli.js", "--bind", `127.0.0.1:${opts.port}`, "--data-dir", opts.dataDir], {
    env: { PATH: process.env.PATH, HOME: opts.dataDir, LLORCH_API_TOKEN: opts.token, LLORCH_LOG_LEVEL: "warn", ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  let output = "";
  child.stdout?.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr?.on("data", (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const deadline = Date.now() + 30_000;
  while (!/Dashboard:\s+https?:\/\//.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`headless orchestrator did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `${opts.env?.LLORCH_TLS === "true" ? "https" : "http"}://127.0.0.1:${opts.port}`,
    pid: child.pid as number,
    async kill(signal = "SIGTERM") {
      if (child.exitCode === null) child.kill(signal);
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      running.delete(child);
    },
  };
}
