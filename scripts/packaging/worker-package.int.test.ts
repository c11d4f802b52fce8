// The installable worker package as a GPU machine gets it: `npm pack -w worker-agent`, then
// `npm install -g --offline <tarball>` into an empty prefix (dependencies from the npm cache only), then the
// installed `llama-orch-worker` bin: --help, doctor, and start registering with a real orchestrator and
// serving a real completion (llama.cpp, generated model). Prints the installed size.
import { existsSync, readdirSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NodeListResponse } from "../../src-shared/nodes/node-info.js";
import { testModelName, testModelPath } from "../../test-support/models.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { installedBinEnv, packAndInstallOffline } from "../../test-support/packed-install.js";
import { diskUsageKiB, runCommand } from "../../test-support/run-command.js";
import { waitFor } from "../../test-support/wait-for.js";
import { startInstalledWorker, type InstalledWorker } from "../../test-support/installed-worker.js";

let work: string;
let prefix: string;
let orchestrator: TestOrchestrator | undefined;
let worker: InstalledWorker | undefined;
let installLog = "";

const binEnv = (extra: Record<string, string> = {}) => installedBinEnv(join(work, "home"), extra);

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "llorch-worker-pkg-"));
  await mkdir(join(work, "home"));
  const installed = await packAndInstallOffline(work, "worker", ["-w", "worker-agent"]);
  prefix = installed.prefix;
  installLog = installed.log;
}, 900_000);

afterAll(async () => {
  await worker?.stop();
  await orchestrator?.close();
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

describe("llama-orch-worker installed from its packed tarball", () => {
  it("installs only the agent's runtime dependencies, offline; prints the installed size", async () => {
    const modules = readdirSync(join(prefix, "lib/node_modules/llama-orch-worker/node_modules"));
    for (const needed of ["node-llama-cpp", "express", "zod", "pino", "prom-client", "@node-llama-cpp"]) expect(modules, needed).toContain(needed);
    // Nothing of the desktop app, the dashboard, the orchestrator's database or the dev tooling.
    for (const unwanted of ["electron", "electron-builder", "react", "vite", "rolldown", "typescript", "libsql", "playwright-core", "vitest"]) expect(modules, unwanted).not.toContain(unwanted);
    const kib = await diskUsageKiB(prefix);
    const platforms = readdirSync(join(prefix, "lib/node_modules/llama-orch-worker/node_modules/@node-llama-cpp"));
    const perPlatform = await Promise.all(platforms.map(async (p) => `${p} ${((await diskUsageKiB(join(prefix, "lib/node_modules/llama-orch-worker/node_modules/@node-llama-cpp", p), true)) / 1024).toFixed(0)} MiB`));
    console.log(`${installLog}installed llama-orch-worker: ${(kib / 1024).toFixed(0)} MiB in ${prefix} (of which llama.cpp builds, file sizes: ${perPlatform.join(", ")})`);
    expect(kib).toBeGreaterThan(0);
  });

  it("--help and --version", async () => {
    const help = await runCommand(join(prefix, "bin/llama-orch-worker"), ["--help"], { env: binEnv() });
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toContain("Usage: llama-orch-worker [start|doctor|engine build|engine path]");
    const version = await runCommand(join(prefix, "bin/llama-orch-worker"), ["--version"], { env: binEnv() });
    expect(version.stdout.trim()).toBe("0.1.0");
  });

  it("doctor finds the llama.cpp backend, the model and the orchestrator", async () => {
    orchestrator = await startTestOrchestrator();
    const modelsDir = join(work, "models");
    await mkdir(modelsDir, { recursive: true });
    await copyFile(testModelPath("tiny"), join(modelsDir, "tiny.gguf"));
    const doctor = await runCommand(join(prefix, "bin/llama-orch-worker"), ["doctor", "--models-dir", modelsDir, "--orchestrator-url", orchestrator.url], {
      env: binEnv({ LLORCH_API_TOKEN: orchestrator.token }),
      timeoutMs: 60_000,
    });
    expect(doctor.code, `${doctor.stdout}\n${doctor.stderr}`).toBe(0);
    expect(doctor.stdout).toMatch(/llama\.cpp backend: \w+/);
    expect(doctor.stdout).toContain("(1 GGUF file");
    expect(doctor.stdout).toContain("doctor: OK");
  }, 90_000);

  it("start registers with a real orchestrator and serves a completion through it", async () => {
    if (orchestrator === undefined) throw new Error("the doctor test starts the orchestrator");
    const orch = orchestrator;
    const configPath = join(work, "worker.json");
    await writeFile(configPath, JSON.stringify({ node_id: "packaged-node", bind_addr: "127.0.0.1:0", orchestrator_url: orch.url, models_dir: join(work, "models"), data_dir: join(work, "worker-data"), threads: 1 }));
    worker = await startInstalledWorker(join(prefix, "bin/llama-orch-worker"), ["start", "--config", configPath, "--log-format", "json"], binEnv({ LLORCH_API_TOKEN: orch.token }));
    await waitFor(
      async () => (await (await orch.api("/v2/nodes")).json()) as NodeListResponse,
      (l) => l.nodes.some((n) => n.node_id === "packaged-node" && n.status === "Online" && n.pools.some((p) => p.ready)),
      60_000,
    );
    const res = await orch.api("/v1/completions", { method: "POST", body: JSON.stringify({ model: testModelName("tiny"), prompt: "Once upon", max_tokens: 4, temperature: 0 }) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { choices: { text: string }[]; usage: { completion_tokens: number } };
    expect(body.usage.completion_tokens).toBe(4);
    expect(body.choices[0]?.text.length).toBeGreaterThan(0);
    expect(await worker.stop()).toEqual({ code: 0, signal: null });
    worker = undefined;
  }, 120_000);

  it("the installed package holds no sources or tests", () => {
    const pkgDir = join(prefix, "lib/node_modules/llama-orch-worker");
    expect(existsSync(join(pkgDir, "cli.ts"))).toBe(false);
    expect(readdirSync(join(pkgDir, "dist")).sort()).toEqual(["chunks", "cli.js", "engine-host.js", "probe-host.js"]);
  });
});
