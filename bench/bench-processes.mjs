// Shared by the benchmarks: a temp root, child processes killed by pid on exit, the tiny-model maker,
// and waiting until the orchestrator lists ready nodes. Everything binds 127.0.0.1 only.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

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

  /** Registers a child this workspace did not start (a llama-server, a profile run): killed on exit too. */
  function track(child) {
    children.push(child);
    return child;
  }

  /** Starts `node <args>` and resolves once `match(output so far)` returns something. */
  function start(args, env, match) {
    const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH, HOME: root, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    return new Promise((resolve, reject) => {
      let buf = "";
      const timer = setTimeout(() => reject(new Error(`${args[0]} did not start:\n${buf}`)), 30_000);
      const onData = (c) => {
        buf += c;
        // Everything the process printed so far (a bench reads log lines written after start-up from it).
        child.output = buf;
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
  /**
   * A generated GGUF in this workspace's models folder (made once per name): `size` tiny|medium|big,
   * `ctx` the trained context length when given. Resolves with the file's path.
   */
  async function model(name, size, ctx) {
    const dir = join(root, "models");
    mkdirSync(dir, { recursive: true });
    const path = join(dir, `${name}.gguf`);
    if (existsSync(path)) return path;
    await new Promise((resolve, reject) => {
      const p = spawn(process.execPath, ["dist/scripts/make-model.js", path, "--size", size, ...(ctx !== undefined ? ["--ctx", String(ctx)] : []), "--name", name], { stdio: "ignore" });
      p.once("exit", (code) => (code === 0 ? resolve() : reject(new Error("make-model failed"))));
    });
    return path;
  }

  /** A tiny generated model; resolves with its folder (a worker's models dir). */
  async function tinyModel(name) {
    return dirname(await model(name, "tiny"));
  }

  /** The headless orchestrator on a free port (extra environment in `env`); resolves with its URL. */
  async function orchestrator(token, env = {}) {
    return (await orchestratorProcess(token, env)).url;
  }

  /** Like orchestrator(), with node flags (e.g. --cpu-prof) and the child process (for its CPU time). */
  async function orchestratorProcess(token, env = {}, nodeArgs = [], dataDir = "orch") {
    // LLORCH_BENCH_ORCH_CLI: another build of the orchestrator (an A/B against an older commit's dist).
    const { child, value } = await start([...nodeArgs, process.env.LLORCH_BENCH_ORCH_CLI ?? "dist/src-main/headless/cli.js", "--bind", "127.0.0.1:0", "--data-dir", join(root, dataDir)], { LLORCH_API_TOKEN: token, LLORCH_LOG_LEVEL: "warn", ...env }, (b) => /Dashboard:\s+(http:\/\/[\d.:]+)/.exec(b)?.[1]);
    return { url: value, child };
  }

  /** bench/bare-http-server.mjs: node:http answering every POST with `reply` (the floor baseline). */
  async function bareServer(status, reply) {
    const { child, value } = await start(["bench/bare-http-server.mjs", String(status), JSON.stringify(reply)], {}, (b) => /listening (http:\/\/[\d.:]+)/.exec(b)?.[1]);
    return { url: value, child };
  }

  /** bench/express-floor-server.mjs: express + express.json() and one route answering `reply` (the framework floor). */
  async function expressServer(status, reply) {
    const { child, value } = await start(["bench/express-floor-server.mjs", String(status), JSON.stringify(reply)], {}, (b) => /listening (http:\/\/[\d.:]+)/.exec(b)?.[1]);
    return { url: value, child };
  }

  /** A worker agent on `modelsDir`, registering to `orchUrl` (node flags in `nodeArgs`); resolves with its process and API URL. */
  async function worker(nodeId, orchUrl, token, modelsDir, slots, nodeArgs = []) {
    const { child, value } = await start([...nodeArgs, "dist/worker-agent/cli.js", "start"], {
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

  /**
   * A standalone worker agent (no orchestrator) started from `config` (written as <root>/<name>/worker.json,
   * its data and engine folders beside it) with `cli` (another build's for an A/B) and Node `nodeArgs`;
   * resolves once every pool is ready, with the pools as GET /v2/pools lists them.
   */
  async function configuredWorker(name, config, { cli = "dist/worker-agent/cli.js", token, nodeArgs = [], readyWithinMs = 60_000 }) {
    const dir = join(root, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "worker.json"), JSON.stringify({ bind_addr: "127.0.0.1:0", data_dir: join(dir, "data"), runtime_dir: join(dir, "engines"), log_level: "info", ...config }));
    const { child, value } = await start([...nodeArgs, cli, "start", "--config", join(dir, "worker.json"), "--log-format", "json"], { LLORCH_API_TOKEN: token }, (b) => /"address":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(b)?.[1]);
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const deadline = Date.now() + readyWithinMs;
    while (Date.now() < deadline) {
      const { pools } = await (await fetch(`${value}/v2/pools`, { headers })).json();
      if (pools.every((p) => p.ready)) return { child, url: value, headers, pools };
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`worker ${name} (${cli}): pools not ready within ${readyWithinMs} ms`);
  }

  /**
   * HAProxy (the Debian package, never built or committed here) as a bare L7 proxy in front of
   * `backend` (one URL or several): the cost of a plain proxy, next to llama-orch's. With
   * `{ failover: true }` it runs as an operator would put it in front of several backends: health
   * checks every 500 ms (down after 2 failures), and a request whose connection is refused or closed
   * with no response is retried once on another server (`retry-on conn-failure empty-response`,
   * `option redispatch`). Resolves with its URL and process, or with `skipped` (the reason) when
   * haproxy is not installed or does not start.
   */
  async function haproxy(backend, { failover = false } = {}) {
    if (spawnSync("haproxy", ["-v"], { stdio: "ignore" }).error) return { skipped: "haproxy is not installed (apt-get install -y haproxy)" };
    const port = await freePort();
    const cfg = join(root, `haproxy-${port}.cfg`);
    const backends = (Array.isArray(backend) ? backend : [backend]).map((u) => new URL(u));
    const retry = failover ? ["  retries 1", "  option redispatch 1", "  retry-on conn-failure empty-response"] : [];
    const check = failover ? " check inter 500ms fall 2 rise 2" : "";
    // http-no-delay: forward each small SSE frame at once; leastconn as a load balancer would run.
    writeFileSync(cfg, ["global", "  maxconn 4096", "defaults", "  mode http", "  timeout connect 5s", "  timeout client 60s", "  timeout server 60s", "  option http-server-close", "  option http-no-delay", ...retry, "frontend fe", `  bind 127.0.0.1:${port}`, "  default_backend be", "backend be", "  balance leastconn", ...backends.map((b, i) => `  server n${i + 1} ${b.hostname}:${b.port}${check}`), ""].join("\n"));
    const child = spawn("haproxy", ["-f", cfg, "-db"], { stdio: ["ignore", "ignore", "pipe"] });
    children.push(child);
    for (let i = 0; i < 50; i++) {
      const ok = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false);
      if (ok) return { url: `http://127.0.0.1:${port}`, child };
      await new Promise((r) => setTimeout(r, 100));
    }
    return { skipped: "haproxy did not start" };
  }

  return { root, start, track, model, tinyModel, orchestrator, orchestratorProcess, bareServer, expressServer, worker, configuredWorker, haproxy };
}

/** A TCP port on 127.0.0.1 that was free a moment ago (for a child that takes its port as an argument). */
export function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
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

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks (USER_HZ = 100)
}

/** Resident set size of a process in MiB (VmRSS from /proc, Linux): heap, native (libsql pages) and code. */
export function rssMiB(pid) {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
  return Math.round((kb / 1024) * 10) / 10;
}

/** p50/p99/max of a list of milliseconds. */
export function percentiles(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => (sorted.length === 0 ? 0 : Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] * 100) / 100);
  return { p50: at(0.5), p99: at(0.99), max: at(1), n: sorted.length };
}
