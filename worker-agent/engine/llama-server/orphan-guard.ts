import { spawn, type ChildProcess } from "node:child_process";

/**
 * A tiny Node process between the agent and llama-server, so that llama-server never outlives the agent:
 * llama-server cannot watch its parent, but this guard holds an IPC channel to the agent and, when it
 * disconnects (the agent exited, crashed or was SIGKILLed), kills llama-server and exits. It passes
 * stdio through, reports llama-server's own pid (what diagnostics show and operators signal), forwards
 * SIGTERM/SIGINT, and ends the way llama-server ended (same exit code or signal). Run with `node -e`, so
 * it needs no file of its own in either build layout.
 */
const GUARD_SOURCE = `
const { spawn } = require("node:child_process");
const [binary, ...args] = process.argv.slice(1);
const child = spawn(binary, args, { stdio: ["ignore", "inherit", "inherit"] });
const killChild = () => { try { child.kill("SIGKILL"); } catch {} };
process.on("disconnect", () => { killChild(); process.exit(0); });
for (const s of ["SIGTERM", "SIGINT"]) process.on(s, () => { try { child.kill(s); } catch {} });
child.on("spawn", () => { if (process.connected) process.send({ pid: child.pid }); });
child.on("error", (e) => { process.stderr.write("cannot start " + binary + ": " + e.message + "\\n"); process.exit(127); });
child.on("exit", (code, signal) => {
  if (signal) { process.removeAllListeners(signal); process.kill(process.pid, signal); }
  process.exit(code ?? 1);
});
`;

/** Spawns `binary args` under the guard; `onPid` gets llama-server's own pid once it runs. */
export function spawnGuarded(binary: string, args: readonly string[], env: NodeJS.ProcessEnv | undefined, onPid: (pid: number) => void): ChildProcess {
  const guard = spawn(process.execPath, ["-e", GUARD_SOURCE, binary, ...args], { env, stdio: ["ignore", "pipe", "pipe", "ipc"] });
  guard.on("message", (message: unknown) => {
    if (typeof message === "object" && message !== null && typeof (message as { pid?: unknown }).pid === "number") onPid((message as { pid: number }).pid);
  });
  return guard;
}
