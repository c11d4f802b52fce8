// The llama-orch-worker CLI as users run it: the compiled dist/worker-agent/cli.js.
import { spawn } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createServer as createHttpServer } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testModelPath } from "../test-support/models.js";
import { startTestOrchestrator } from "../test-support/orchestrator-harness.js";
import { getJson, killAllWorkers, startWorker, TEST_TOKEN, WORKER_CLI } from "../test-support/worker-agent-process.js";
import { fileSha256 } from "./catalog/file-sha256.js";

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to completion (bounded: SIGKILL after timeoutMs). */
function runCli(args: string[], env: Record<string, string | undefined> = {}, timeoutMs = 30_000): Promise<CliRun> {
  const merged: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("POOL_MANAGERD_") && k !== "LLORCH_API_TOKEN" && k !== "ORCHESTRATORD_URL") merged[k] = v;
  for (const [k, v] of Object.entries(env)) if (v !== undefined) merged[k] = v;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [WORKER_CLI, ...args], { env: merged, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "llorch-cli-"));
});
afterAll(async () => {
  await killAllWorkers();
  await rm(dir, { recursive: true, force: true });
});

describe("llama-orch-worker CLI", () => {
  it("prints its version and help", async () => {
    const version = await runCli(["--version"]);
    expect(version).toMatchObject({ code: 0, stdout: "0.1.0\n" });
    const help = await runCli(["--help"]);
    expect(help.code).toBe(0);
    for (const word of ["start", "doctor", "POOL_MANAGERD_BIND_ADDR", "ORCHESTRATORD_URL", "LLORCH_API_TOKEN", "--pool"]) expect(help.stdout).toContain(word);
  });

  it("exits 2 on unknown flags, unknown commands and invalid configuration, naming the key", async () => {
    expect((await runCli(["--bogus"])).code).toBe(2);
    expect((await runCli(["frobnicate"])).code).toBe(2);
    const bad = await runCli(["start", "--data-dir", dir], { POOL_MANAGERD_HEARTBEAT_INTERVAL_SECS: "soon", LLORCH_API_TOKEN: TEST_TOKEN });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("heartbeat_interval_secs (from env POOL_MANAGERD_HEARTBEAT_INTERVAL_SECS)");
  });

  it("engine path names the llama-server and native node-llama-cpp build locations in the data dir; engine build validates its arguments", async () => {
    const path = await runCli(["engine", "path", "--data-dir", dir]);
    expect(path.code).toBe(0);
    expect(path.stdout.trim()).toMatch(new RegExp(`^${dir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/llama-server/[^/]+-[0-9a-f]{10}/llama-server$`));
    const unknown = await runCli(["engine", "nope", "--data-dir", dir]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('expected "build" or "path"');
    expect((await runCli(["engine", "build", "--jobs", "0", "--data-dir", dir])).code).toBe(2);
    const nlc = await runCli(["engine", "path", "--engine", "node-llama-cpp", "--data-dir", dir]);
    expect(nlc.code).toBe(0);
    expect(nlc.stdout.trim()).toMatch(new RegExp(`^${dir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/node-llama-cpp-native/\\d+\\.\\d+\\.\\d+-[^/]+$`));
    const engine = await runCli(["engine", "path", "--engine", "vllm", "--data-dir", dir]);
    expect(engine.code).toBe(2);
    expect(engine.stderr).toContain('--engine must be "llama-server" or "node-llama-cpp", got "vllm"');
    // Only `engine` takes a subcommand.
    expect((await runCli(["start", "extra", "--data-dir", dir])).code).toBe(2);
    // Six CLI runs, each reading node-llama-cpp's llama.cpp bundle: 13 s in CI, 30 s on a box with a third test file beside them.
  }, 60_000);

  it("refuses a non-loopback bind, or an orchestrator, without a configured token", async () => {
    const open = await runCli(["start", "--bind", "0.0.0.0:0", "--data-dir", dir]);
    expect(open.code).toBe(2);
    expect(open.stderr).toMatch(/refusing to bind non-loopback address 0\.0\.0\.0:0 without LLORCH_API_TOKEN/);
    const orch = await runCli(["start", "--data-dir", dir], { ORCHESTRATORD_URL: "http://127.0.0.1:1" });
    expect(orch.code).toBe(2);
    expect(orch.stderr).toMatch(/LLORCH_API_TOKEN is required when ORCHESTRATORD_URL is set/);
  });

  it("generates a 0600 token on a loopback bind with none configured, and serves with it", async () => {
    const worker = await startWorker({ env: { LLORCH_API_TOKEN: undefined } });
    const path = join(worker.dataDir, "worker-token");
    const token = (await readFile(path, "utf8")).trim();
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await getJson(`${worker.url}/v2/pools`, token)).status).toBe(200);
    expect((await getJson(`${worker.url}/v2/pools`, TEST_TOKEN)).status).toBe(401);
    expect(worker.logs.find((l) => l.token_file === path)).toBeDefined();
    expect(await worker.stop()).toEqual({ code: 0, signal: null });
  });

  it("doctor reports backend, GPUs, CPU/RAM and models with sha256, and exits 0", async () => {
    const models = join(dir, "models");
    await mkdir(models, { recursive: true });
    await copyFile(testModelPath("tiny"), join(models, "tiny.gguf"));
    const sha = await fileSha256(join(models, "tiny.gguf"));
    const run = await runCli(["doctor", "--models-dir", models, "--data-dir", join(dir, "data")]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/llama\.cpp backend: CPU/);
    expect(run.stdout).toContain("GPUs: none");
    expect(run.stdout).toMatch(/CPU: \d+ cores/);
    expect(run.stdout).toContain(`tiny.gguf`);
    expect(run.stdout).toContain(`sha256 ${sha}`);
    expect(run.stdout).toContain("orchestrator: none (standalone mode)");
    expect(run.stdout).toContain("doctor: OK");
  });

  it("doctor exits 1 when the orchestrator is unreachable or a pool's model is missing", async () => {
    const port = await closedPort();
    const run = await runCli(["doctor", "--models-dir", join(dir, "models"), "--data-dir", join(dir, "data"), "--pool", "id=x,model=absent.gguf"], {
      ORCHESTRATORD_URL: `http://127.0.0.1:${port}`,
      LLORCH_API_TOKEN: TEST_TOKEN,
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/orchestrator: http:\/\/127\.0\.0\.1:\d+ — UNREACHABLE/);
    expect(run.stdout).toContain('PROBLEM: pool x: model "absent.gguf" is not in the models dir');
  });

  // A models dir whose only files are not models (a stub, random bytes) made `doctor: OK`, exit 0: the
  // worker would serve nothing. Each file is named with why, and no servable model is a problem.
  it("doctor exits 1 when no file in the models dir is a model it can serve, naming each and why", async () => {
    const models = join(dir, "models-broken");
    await mkdir(models, { recursive: true });
    await writeFile(join(models, "stub.gguf"), "GGUF\n");
    await writeFile(join(models, "noise.gguf"), Buffer.alloc(4096, 0x37));
    const run = await runCli(["doctor", "--models-dir", models, "--data-dir", join(dir, "data-broken")]);
    expect(run.code).toBe(1);
    // The bounded header check (gguf-head-check.ts) reads it before node-llama-cpp would.
    expect(run.stdout).toContain("warning: stub.gguf is not served: not a usable GGUF header: the data ends inside the header");
    expect(run.stdout).toMatch(/warning: noise\.gguf is not served: .*GGUF/);
    expect(run.stdout).toContain(`PROBLEM: no model in ${models} can be served (every GGUF header is unreadable)`);
    expect(run.stdout).not.toContain("doctor: OK");
  });

  // The careless operator's wrong URL: some other HTTP server (a web server, a proxy's 404 page). It
  // answers, so doctor said "reachable, token not verified … doctor: OK" and exited 0.
  it("doctor exits 1 when ORCHESTRATORD_URL is an HTTP server that is not an orchestrator", async () => {
    const other = createHttpServer((_req, res) => res.writeHead(404, { "content-type": "text/html" }).end("<html>Not Found</html>"));
    await new Promise<void>((r) => other.listen(0, "127.0.0.1", () => r()));
    try {
      const port = (other.address() as { port: number }).port;
      const run = await runCli(["doctor", "--models-dir", join(dir, "models"), "--data-dir", join(dir, "data")], { ORCHESTRATORD_URL: `http://127.0.0.1:${port}`, LLORCH_API_TOKEN: TEST_TOKEN });
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/orchestrator: http:\/\/127\.0\.0\.1:\d+ — answers, but NOT A LLAMA-ORCH ORCHESTRATOR \(GET \/health 404/);
      expect(run.stdout).toContain("is not a llama-orch orchestrator (GET /health did not answer");
      expect(run.stdout).not.toContain("doctor: OK");
    } finally {
      await new Promise((r) => other.close(r));
    }
  });

  // A worker started with a token the orchestrator does not accept retried its registration forever
  // (a warn line per backoff, exit status never seen by systemd or the operator). Now the first refusal
  // of a run stops it: exit 2 with one line naming the orchestrator and why.
  it("start exits 2 with one line when the orchestrator refuses its token at the first registration", async () => {
    const orch = await startTestOrchestrator();
    try {
      const run = await runCli(["start", "--bind", "127.0.0.1:0", "--models-dir", join(dir, "models"), "--data-dir", join(dir, "data-refused"), "--log-level", "silent"], {
        ORCHESTRATORD_URL: orch.url,
        LLORCH_API_TOKEN: "not-the-cluster-token-0123456789abcdef0123",
      }, 60_000);
      expect(run.code).toBe(2);
      const lines = run.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`llama-orch-worker: ${orch.url}: the orchestrator refuses this worker's credential (HTTP 401 BAD_TOKEN`);
      expect(lines[0]).toMatch(/check LLORCH_API_TOKEN .* \(token fp6 [0-9a-f]{6}\)$/);
    } finally {
      await orch.close();
    }
  }, 90_000);

  it("start with an expired join token exits 2 with one line saying so and what to do", async () => {
    const orch = await startTestOrchestrator();
    try {
      const minted = await orch.api("/v2/auth/join-tokens", { method: "POST", body: JSON.stringify({ ttl_ms: 1000 }) });
      const { token } = (await minted.json()) as { token: string };
      await new Promise((r) => setTimeout(r, 1200));
      const run = await runCli(["start", "--bind", "127.0.0.1:0", "--models-dir", join(dir, "models"), "--data-dir", join(dir, "data-expired"), "--log-level", "silent"], { ORCHESTRATORD_URL: orch.url, LLORCH_JOIN_TOKEN: token }, 60_000);
      expect(run.code).toBe(2);
      expect(run.stderr.trim().split("\n")).toEqual([expect.stringMatching(/^llama-orch-worker: joining .* was refused: HTTP 401 BAD_TOKEN: join token expired; mint a new one .*\(join_token_expired\)$/)]);
    } finally {
      await orch.close();
    }
  }, 90_000);

  // ORCHESTRATORD_URL pointing at a web server: the agent keeps retrying (a proxy may answer so while the
  // orchestrator behind it restarts), but each warn line says what answered instead of an HTML dump.
  it("start against an HTTP server that is not an orchestrator says so in its retry warnings", async () => {
    const other = createHttpServer((_req, res) => res.writeHead(404, { "content-type": "text/html; charset=utf-8" }).end("<!DOCTYPE html><h1>Not Found</h1>"));
    await new Promise<void>((r) => other.listen(0, "127.0.0.1", () => r()));
    try {
      const port = (other.address() as { port: number }).port;
      const worker = await startWorker({ config: { orchestrator_url: `http://127.0.0.1:${port}`, registration_max_backoff_ms: 200 }, env: { LLORCH_API_TOKEN: TEST_TOKEN } });
      const line = await worker.waitForLog((l) => l.msg === "registration failed; retrying", 30_000);
      expect(String(line.reason)).toMatch(/^HTTP 404 \(text\/html\) from something that is not a llama-orch orchestrator, or a proxy in front of it: check ORCHESTRATORD_URL/);
      await worker.stop("SIGTERM");
    } finally {
      await new Promise((r) => other.close(r));
    }
  }, 60_000);

  // The app's supervisor (headless or desktop) starts the worker with --exit-with-stdin and reads its
  // stdout. When the supervisor stops it and goes away during the drain, the worker's last log lines
  // meet a closed pipe at exit: it must still exit, not live on as an orphan (it hung forever, pino's
  // exit flush retrying the EPIPE write every 100 ms).
  it("--exit-with-stdin: a worker whose supervisor goes away during its drain still exits", async () => {
    const models = join(dir, "models-stdin");
    await mkdir(models, { recursive: true });
    await copyFile(testModelPath("tiny"), join(models, "tiny.gguf"));
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("POOL_MANAGERD_") && k !== "ORCHESTRATORD_URL") env[k] = v;
    env.LLORCH_API_TOKEN = TEST_TOKEN;
    // A few rounds: whether the last lines are still buffered at exit is a race (it hung in 4 of 5).
    for (let round = 0; round < 3; round++) {
      const child = spawn(process.execPath, [WORKER_CLI, "start", "--exit-with-stdin", "--bind", "127.0.0.1:0", "--models-dir", models, "--data-dir", join(dir, `data-stdin-${round}`), "--log-format", "json"], { env, stdio: ["pipe", "pipe", "pipe"] });
      const exited = new Promise<boolean>((resolve) => child.once("exit", () => resolve(true)));
      let out = "";
      child.stdout.on("data", (c: Buffer) => (out += c.toString()));
      const deadline = Date.now() + 20_000;
      while (!out.includes('"msg":"listening"') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(out).toContain('"msg":"listening"');
      // The supervisor's stop: SIGTERM, then it is gone (its ends of the pipes close).
      child.kill("SIGTERM");
      child.stdout.destroy();
      child.stderr.destroy();
      child.stdin.destroy();
      const exitedInTime = await Promise.race([exited, new Promise<boolean>((r) => setTimeout(() => r(false), 8_000))]);
      if (!exitedInTime) child.kill("SIGKILL");
      expect(exitedInTime, `round ${round}: the worker was still running 8 s after its supervisor went away`).toBe(true);
    }
  }, 90_000);
});
