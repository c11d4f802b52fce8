// Shared by the benchmarks: a temp root, child processes killed by pid on exit, the tiny-model maker,
// and waiting until the orchestrator lists ready nodes. Everything binds 127.0.0.1 only.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A temp folder and a process registry; both are cleaned up when the benchmark exits. */
export function benchWorkspace(prefix) {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const children = [];
  process.on("exit", () => {
    for (const c of children) {
      try {
        process.kill(c.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    rmSync(root, { recursive: true, force: true });
  });

  /** Starts `node <args>` and resolves once `match(output so far)` returns something. */
  function start(args, env, match) {
    const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH, HOME: root, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    return new Promise((resolve, reject) => {
      let buf = "";
      const timer = setTimeout(() => reject(new Error(`${args[0]} did not start:\n${buf}`)), 30_000);
      const onData = (c) => {
        buf += c;
        const m = match(buf);
        if (m) {
          clearTimeout(timer);
          resolve({ child, value: m });
        }
      };
      child.stdout.on("data", onData);
      child.stderr.on("data", onData);
      child.once("exit", (code) => reject(new Error(`${args[0]} exited ${code}:\n${buf}`)));
    });
  }

  /** Writes a generated tiny model named `name` into <root>/models and returns the folder. */
  async function tinyModel(name) {
    const dir = join(root, "models");
    mkdirSync(dir, { recursive: true });
    await new Promise((resolve, reject) => {
      const p = spawn(process.execPath, ["dist/scripts/make-model.js", join(dir, `${name}.gguf`), "--size", "tiny", "--name", name], { stdio: "ignore" });
      p.once("exit", (code) => (code === 0 ? resolve() : reject(new Error("make-model failed"))));
    });
    return dir;
  }

  /** The headless orchestrator on a free port (extra environment in `env`); resolves with its URL. */
  async function orchestrator(token, env = {}) {
    const { value } = await start(["dist/src-main/headless/cli.js", "--bind", "127.0.0.1:0", "--data-dir", join(root, "orch")], { LLORCH_API_TOKEN: token, LLORCH_LOG_LEVEL: "warn", ...env }, (b) => /Dashboard:\s+(http:\/\/[\d.:]+)/.exec(b)?.[1]);
    return value;
  }

  /** A worker agent on `modelsDir`, registering to `orchUrl`; resolves with its process and API URL. */
  async function worker(nodeId, orchUrl, token, modelsDir, slots) {
    const { child, value } = await start(["dist/worker-agent/cli.js", "start"], {
      LLORCH_API_TOKEN: token,
      ORCHESTRATORD_URL: orchUrl,
      POOL_MANAGERD_NODE_ID: nodeId,
      POOL_MANAGERD_BIND_ADDR: "127.0.0.1:0",
      POOL_MANAGERD_MODELS_DIR: modelsDir,
      POOL_MANAGERD_RUNTIME_DIR: join(root, `runtime-${nodeId}`),
      POOL_MANAGERD_DATA_DIR: join(root, `data-${nodeId}`),
      POOL_MANAGERD_AUTO_POOL_SLOTS: String(slots),
      LLORCH_LOG_LEVEL: "info",
    }, (b) => /"msg":"listening".*?"address":"(http:\/\/[\d.:]+)"/.exec(b)?.[1] ?? /"address":"(http:\/\/[\d.:]+)".*?"msg":"listening"/.exec(b)?.[1]);
    return { child, url: value };
  }

  return { root, start, tinyModel, orchestrator, worker };
}

/** Waits until the orchestrator lists `count` online nodes with a ready pool; returns the nodes. */
export async function waitForReadyNodes(orchUrl, token, count) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const nodes = (await (await fetch(`${orchUrl}/v2/nodes`, { headers: { authorization: `Bearer ${token}` } })).json()).nodes;
    const ready = nodes.filter((n) => n.status === "Online" && n.pools.some((p) => p.ready));
    if (ready.length >= count) return ready;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`fewer than ${count} ready nodes after 30 s`);
}
