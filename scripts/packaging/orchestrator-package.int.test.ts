// The headless orchestrator as its own install: the repository's package (`npm pack`: the built orchestrator,
// dashboard, worker agent and model maker; dependencies = the runtime ones, no Electron or dev tooling)
// installed offline into an empty prefix, then `llama-orch --help` and `llama-orch --home`: dashboard, a
// local worker on a generated demo model (both found through the installed package's own exports), and a
// chat completion. Prints the installed size. The package is built by `npm test` before this runs, so the
// pack skips the prepack build (--ignore-scripts).
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodeListResponseSchema } from "../../src-shared/nodes/node-info.js";
import { installedBinEnv, packAndInstallOffline } from "../../test-support/packed-install.js";
import { diskUsageKiB, runCommand } from "../../test-support/run-command.js";
import { waitFor } from "../../test-support/wait-for.js";

let work: string;
let prefix: string;
let installLog = "";
let child: ChildProcess | undefined;

beforeAll(async () => {
  expect(existsSync("dist/renderer/index.html"), "run npm run build first").toBe(true);
  work = await mkdtemp(join(tmpdir(), "llorch-orch-pkg-"));
  await mkdir(join(work, "home"));
  const installed = await packAndInstallOffline(work, "orchestrator", ["--ignore-scripts"]);
  prefix = installed.prefix;
  installLog = installed.log;
}, 900_000);

afterAll(async () => {
  if (child !== undefined && child.exitCode === null) child.kill("SIGKILL");
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

describe("llama-orch (headless) installed from its packed tarball", () => {
  it("installs the runtime dependencies only, offline; prints the installed size", async () => {
    const modules = readdirSync(join(prefix, "lib/node_modules/llama-orch/node_modules"));
    for (const needed of ["libsql", "node-llama-cpp", "express", "zod", "pino", "prom-client"]) expect(modules, needed).toContain(needed);
    for (const unwanted of ["electron", "electron-builder", "react", "vite", "rolldown", "typescript", "playwright-core", "vitest", "llama-orch-worker"]) expect(modules, unwanted).not.toContain(unwanted);
    expect(existsSync(join(prefix, "lib/node_modules/llama-orch/dist/renderer/index.html"))).toBe(true);
    expect(existsSync(join(prefix, "lib/node_modules/llama-orch/src-main"))).toBe(false);
    const kib = await diskUsageKiB(prefix);
    console.log(`${installLog}installed llama-orch (headless orchestrator + dashboard + worker): ${(kib / 1024).toFixed(0)} MiB in ${prefix}`);
  });

  it("--help", async () => {
    const help = await runCommand(join(prefix, "bin/llama-orch"), ["--help"], { env: installedBinEnv(join(work, "home")) });
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toContain("Usage: llama-orch [options]");
    expect(help.stderr).toBe("");
  });

  it("--home serves the dashboard and answers a chat completion from a local worker on a generated model", async () => {
    const dataDir = join(work, "data");
    const proc = spawn(join(prefix, "bin/llama-orch"), ["--home", "--bind", "127.0.0.1:0", "--data-dir", dataDir, "--models-dir", join(work, "models"), "--log-format", "json"], {
      env: installedBinEnv(join(work, "home"), { LLORCH_LOG_LEVEL: "warn" }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = proc;
    let out = "";
    proc.stdout?.on("data", (c: Buffer) => (out = (out + c.toString()).slice(-100_000)));
    proc.stderr?.on("data", (c: Buffer) => (out = (out + c.toString()).slice(-100_000)));
    const url = await waitFor("the dashboard URL", () => /Dashboard:\s+(http:\/\/\S+)\/login\?code=/.exec(out)?.[1], 60_000);
    const token = readFileSync(join(dataDir, "api-token"), "utf8").trim();
    const auth = { authorization: `Bearer ${token}` };
    expect((await fetch(`${url}/`)).status).toBeLessThan(500);
    await waitFor(
      async () => NodeListResponseSchema.parse(await (await fetch(`${url}/v2/nodes`, { headers: auth })).json()).nodes,
      (nodes) => nodes[0]?.pools[0]?.ready === true,
      90_000,
    );
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ model: "llama-orch-demo", messages: [{ role: "user", content: "Hello!" }], max_tokens: 4 }),
    });
    expect(res.status, out).toBe(200);
    const body = (await res.json()) as { usage: { completion_tokens: number } };
    expect(body.usage.completion_tokens).toBe(4);
    const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
    proc.kill("SIGTERM");
    expect(await exited).toBe(0);
  }, 180_000);
});
