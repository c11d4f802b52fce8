// A fresh clone's commands right after `npm install`, with no build step: `npx llama-orch-worker doctor`,
// `npm run make-model`, `npx llama-orch --help` each build what they need on first use and say so.
// The clone is this checkout's files (git ls-files: no dist/, no worker-agent/dist/) in a temp folder, with
// node_modules a hard-linked copy of this checkout's (the same lockfile's `npm ci` result; its workspace
// link and .bin links are relative, so they point into the clone).
import { cpSync, existsSync, lstatSync, mkdirSync, readlinkSync, realpathSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "../../test-support/run-command.js";

let clone: string;

function cloneEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("POOL_MANAGERD_") && k !== "ORCHESTRATORD_URL" && k !== "LLORCH_API_TOKEN" && !k.startsWith("npm_")) env[k] = v;
  return { ...env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ""}`, HOME: join(clone, ".home") };
}

beforeAll(async () => {
  clone = await mkdtemp(join(tmpdir(), "llorch-clone-"));
  const files = await runCommand("git", ["ls-files", "--cached", "--others", "--exclude-standard", "-z"]);
  expect(files.code, files.stderr).toBe(0);
  for (const file of files.stdout.split("\0").filter((f) => f !== "" && existsSync(f))) {
    mkdirSync(dirname(join(clone, file)), { recursive: true });
    cpSync(file, join(clone, file));
  }
  expect(existsSync(join(clone, "dist"))).toBe(false);
  expect(existsSync(join(clone, "worker-agent/dist"))).toBe(false);
  // realpath: where node_modules is itself a symlink (a shared install), link its contents, never the link.
  const link = await runCommand("cp", ["-al", realpathSync("node_modules"), join(clone, "node_modules")], { timeoutMs: 120_000 });
  expect(link.code, link.stderr).toBe(0);
  expect(lstatSync(join(clone, "node_modules")).isSymbolicLink()).toBe(false);
  expect(readlinkSync(join(clone, "node_modules/llama-orch-worker"))).toBe("../worker-agent");
  mkdirSync(join(clone, ".home"));
}, 180_000);

afterAll(async () => {
  if (clone !== undefined) await rm(clone, { recursive: true, force: true });
});

describe("bins in a fresh clone after npm install", () => {
  it("npx llama-orch-worker doctor bundles the worker on first use and prints its report", async () => {
    const doctor = await runCommand("npx", ["--no-install", "llama-orch-worker", "doctor", "--models-dir", join(clone, "models")], { cwd: clone, env: cloneEnv(), timeoutMs: 120_000 });
    expect(doctor.code, `${doctor.stdout}\n${doctor.stderr}`).toBe(0);
    expect(doctor.stderr).toContain("llama-orch-worker: building worker-agent/dist from the sources");
    expect(doctor.stdout).toMatch(/^llama-orch-worker 0\.1\.0 doctor/);
    expect(doctor.stdout).toContain("doctor: OK");
    // Second run: nothing to build.
    const again = await runCommand("npx", ["--no-install", "llama-orch-worker", "--version"], { cwd: clone, env: cloneEnv(), timeoutMs: 60_000 });
    expect(again).toMatchObject({ code: 0, stdout: "0.1.0\n", stderr: "" });
  }, 180_000);

  it("npm run make-model compiles the model maker on first use and writes a GGUF", async () => {
    const out = join(clone, "models/demo.gguf");
    const make = await runCommand("npm", ["run", "make-model", "--", out, "--size", "tiny"], { cwd: clone, env: cloneEnv(), timeoutMs: 180_000 });
    expect(make.code, `${make.stdout}\n${make.stderr}`).toBe(0);
    expect(make.stderr).toContain("make-model: building (first run): npm run build:scripts");
    expect(make.stdout).toContain(out);
    expect(existsSync(out)).toBe(true);
  }, 240_000);

  it("npx llama-orch --help builds the app on first use, then prints the headless orchestrator's usage", async () => {
    const help = await runCommand("npx", ["--no-install", "llama-orch", "--help"], { cwd: clone, env: cloneEnv(), timeoutMs: 420_000 });
    expect(help.code, `${help.stdout}\n${help.stderr}`).toBe(0);
    expect(help.stderr).toContain("llama-orch: building (first run): npm run build");
    expect(help.stdout).toContain("Usage: llama-orch [options]");
    const again = await runCommand("npx", ["--no-install", "llama-orch", "--version"], { cwd: clone, env: cloneEnv(), timeoutMs: 60_000 });
    expect(again).toMatchObject({ code: 0, stdout: "0.1.0\n", stderr: "" });
  }, 480_000);
});
