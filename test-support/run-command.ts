// Runs a command to completion for packaging tests (npm pack, npm install, installed bins): bounded by a
// timeout (SIGKILL of the child's pid after timeoutMs), output captured.
import { spawn } from "node:child_process";

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCommand(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Kibibytes under path (du -sk; with apparent: the files' sizes rather than the blocks they use). */
export async function diskUsageKiB(path: string, apparent = false): Promise<number> {
  const du = await runCommand("du", ["-sk", ...(apparent ? ["--apparent-size"] : []), path]);
  const kib = Number(du.stdout.split(/\s/)[0]);
  if (du.code !== 0 || !Number.isFinite(kib)) throw new Error(`du -sk ${path} failed: ${du.stderr}`);
  return kib;
}
