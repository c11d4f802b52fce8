// Starts the compiled worker agent (dist/worker-agent/cli.js; `npm test` builds first, or run
// `npx tsc -b`) as a real child process on loopback, with its own temp dirs, and talks to it over
// HTTP. Every process started here is remembered so afterAll can kill it by pid.
import { spawn, type ChildProcess } from "node:child_process";
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readSseEvents } from "../src-shared/streaming/read-sse.js";
import type { SseEvent } from "../src-shared/streaming/sse-events.js";

export const WORKER_CLI = fileURLToPath(new URL("../dist/worker-agent/cli.js", import.meta.url));
export const TEST_TOKEN = "test-token-0123456789abcdef0123456789abcdef";

export interface LogLine {
  msg?: string;
  level?: string;
  [key: string]: unknown;
}

export interface StartedWorker {
  pid: number;
  url: string;
  token: string;
  root: string;
  modelsDir: string;
  runtimeDir: string;
  dataDir: string;
  logs: LogLine[];
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends the signal and waits (bounded) for the exit. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitForLog(predicate: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
}

export interface StartWorkerOptions {
  /** Files copied into the models dir: name in the dir → source path. */
  models?: Record<string, string>;
  /** Written as the --config file (models/runtime/data dirs are filled in unless given). */
  config?: Record<string, unknown>;
  env?: Record<string, string | undefined>;
  args?: string[];
  /**
   * A command the agent runs under, e.g. `["ip", "netns", "exec", "ns1"]` to start it in a network
   * namespace (it must exec the agent in place, so the pid is the agent's).
   */
  commandPrefix?: string[];
  /** Resolve when the agent logs "listening" (default) or right after spawning. */
  waitForListening?: boolean;
  timeoutMs?: number;
}

const running = new Set<ChildProcess>();
const roots = new Set<string>();
// A failed test must not leak agents (or their engines): whatever is left dies with the test process.
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export async function startWorker(options: StartWorkerOptions = {}): Promise<StartedWorker> {
  const root = await mkdtemp(join(tmpdir(), "llorch-worker-test-"));
  roots.add(root);
  const modelsDir = join(root, "models");
  const runtimeDir = join(root, "engines");
  const dataDir = join(root, "data");
  await mkdir(modelsDir, { recursive: true });
  await mkdir(runtimeDir, { recursive: true });
  for (const [name, source] of Object.entries(options.models ?? {})) await copyFile(source, join(modelsDir, name));
  const config = { bind_addr: "127.0.0.1:0", models_dir: modelsDir, runtime_dir: runtimeDir, data_dir: dataDir, threads: 1, ...options.config };
  const configPath = join(root, "worker.json");
  await writeFile(configPath, JSON.stringify(config, null, 2));

  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("POOL_MANAGERD_") && k !== "ORCHESTRATORD_URL" && k !== "LLORCH_API_TOKEN") env[k] = v;
  env.LLORCH_API_TOKEN = TEST_TOKEN;
  for (const [k, v] of Object.entries(options.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const command = [...(options.commandPrefix ?? []), process.execPath, WORKER_CLI, "start", "--config", configPath, ...(options.args ?? [])];
  const child = spawn(command[0] as string, command.slice(1), { env, stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  const pid = child.pid;
  if (pid === undefined) throw new Error("worker did not spawn");
  const logs: LogLine[] = [];
  const waiters: { predicate: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  let stderr = "";
  let partial = "";
  child.stdout?.setEncoding("utf8");
  child.stdout?.on("data", (chunk: string) => {
    partial += chunk;
    const lines = partial.split("\n");
    partial = lines.pop() ?? "";
    for (const text of lines) {
      if (text.trim() === "") continue;
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        line = { msg: text, level: "raw" };
      }
      logs.push(line);
      for (const w of [...waiters]) {
        if (w.predicate(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    if (stderr.length < 200_000) stderr += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });

  const waitForLog = (predicate: (line: LogLine) => boolean, timeoutMs = 20_000): Promise<LogLine> => {
    const found = logs.find(predicate);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(waiter), 1);
        reject(new Error(`log line not seen within ${timeoutMs} ms; stderr: ${stderr.slice(-2000)}`));
      }, timeoutMs);
      const waiter = {
        predicate,
        resolve: (l: LogLine) => {
          clearTimeout(timer);
          resolve(l);
        },
      };
      waiters.push(waiter);
      void exited.then((e) => {
        if (!waiters.includes(waiter)) return;
        clearTimeout(timer);
        waiters.splice(waiters.indexOf(waiter), 1);
        reject(new Error(`worker exited (${e.code ?? e.signal}) before the log line; stderr: ${stderr.slice(-2000)}`));
      });
    });
  };

  let url = "";
  if (options.waitForListening !== false) {
    // Generous: a worker hashing a 50 MB model on a box at load 15 took over 20 s to listen.
    // An agent that never came up is killed here: the test's afterAll never sees it, and the fork's exit hook
    // does not run when vitest ends the fork with a signal (five such agents outlived a loaded run by an hour).
    const listening = await waitForLog((l) => l.msg === "listening", options.timeoutMs ?? 45_000).catch((err: unknown) => {
      child.kill("SIGKILL");
      throw err;
    });
    url = String(listening.address);
  }
  return {
    pid,
    url,
    token: TEST_TOKEN,
    root,
    modelsDir,
    runtimeDir,
    dataDir,
    logs,
    stderr: () => stderr,
    exited,
    waitForLog,
    async stop(signal = "SIGTERM", timeoutMs = 15_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** afterAll: kill (SIGKILL, by pid) whatever is still running and remove temp dirs. */
export async function killAllWorkers(): Promise<void> {
  for (const child of [...running]) {
    if (child.pid !== undefined) {
      try {
        process.kill(child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
  for (const root of [...roots]) {
    await rm(root, { recursive: true, force: true });
    roots.delete(root);
  }
}

export function authHeaders(token: string = TEST_TOKEN): Record<string, string> {
  return { authorization: `Bearer ${token}`, "content-type": "application/json" };
}

export async function getJson<T = unknown>(url: string, token: string = TEST_TOKEN): Promise<{ status: number; body: T }> {
  const res = await fetch(url, { headers: authHeaders(token) });
  return { status: res.status, body: (await res.json()) as T };
}

export async function postJson<T = unknown>(url: string, body: unknown, token: string = TEST_TOKEN): Promise<{ status: number; body: T }> {
  const res = await fetch(url, { method: "POST", headers: authHeaders(token), body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: (text === "" ? undefined : JSON.parse(text)) as T };
}

export { waitFor } from "./wait-for.js";

export interface TimedEvent {
  at: number;
  event: SseEvent;
}

export interface StreamResult {
  status: number;
  events: TimedEvent[];
  /** Non-SSE body (error envelope) when status is not 200. */
  body?: unknown;
}

/**
 * POST …/infer and collect the SSE events with their arrival times (performance.now()).
 * `onEvent` may return "abort" to drop the connection (client disconnect).
 */
export async function streamInfer(
  url: string,
  poolId: string,
  request: Record<string, unknown>,
  onEvent?: (event: SseEvent, index: number) => void | "abort" | Promise<void | "abort">,
  token: string = TEST_TOKEN,
): Promise<StreamResult> {
  const controller = new AbortController();
  const res = await fetch(`${url}/v2/pools/${poolId}/infer`, { method: "POST", headers: authHeaders(token), body: JSON.stringify(request), signal: controller.signal });
  if (res.status !== 200 || res.body === null) return { status: res.status, events: [], body: await res.json().catch(() => undefined) };
  const events: TimedEvent[] = [];
  try {
    for await (const event of readSseEvents(res.body)) {
      events.push({ at: performance.now(), event });
      if ((await onEvent?.(event, events.length - 1)) === "abort") {
        controller.abort();
        return { status: res.status, events };
      }
    }
  } catch (error) {
    if (!controller.signal.aborted) throw error;
  }
  return { status: res.status, events };
}

export function tokenTexts(result: StreamResult): string[] {
  return result.events.flatMap((e) => (e.event.event === "token" ? [e.event.data.t] : []));
}

export function terminalEvent(result: StreamResult): SseEvent | undefined {
  const last = result.events[result.events.length - 1]?.event;
  return last !== undefined && (last.event === "end" || last.event === "error") ? last : undefined;
}

/** Value of one Prometheus sample line, e.g. metricValue(text, 'pool_tokens_generated_total{node_id="n",pool_id="a"}'). */
export function metricValue(metricsText: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of metricsText.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const matches = Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`));
    if (matches) return Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return undefined;
}
