// What electron-builder would package, checked offline (it cannot download Electron here): the app's files
// from electron-builder.yml's `files` (plus the production node_modules, minus other platforms' llama.cpp
// builds via the platform's `files`), split by its `asarUnpack` rules into resources/app.asar (packed with
// @electron/asar) and resources/app.asar.unpacked/. Asserts every native module lands unpacked and that the
// model maker and the local worker run from that layout with plain Node standing in for Electron's binary
// under ELECTRON_RUN_AS_NODE=1 (a child process cannot rely on Electron's asar support). Prints the size
// budget per platform and the unpacked natives. Needs the build (`npm test` builds first).
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, matchesGlob } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInstalledWorker, type InstalledWorker } from "../../test-support/installed-worker.js";
import { runCommand } from "../../test-support/run-command.js";
import { waitFor } from "../../test-support/wait-for.js";
import { lockClosure, type LockEntry } from "./lock-closure.mjs";

type Platform = "linux" | "mac" | "win";
const root = fileURLToPath(new URL("../../", import.meta.url));
const config = parse(readFileSync(join(root, "electron-builder.yml"), "utf8")) as { files: string[]; asarUnpack: string[] } & Record<Platform, { files?: string[] }>;
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { dependencies: Record<string, string> };
const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")) as { packages: Record<string, LockEntry> };
const HOST: Platform = process.platform === "darwin" ? "mac" : process.platform === "win32" ? "win" : "linux";

/** electron-builder's pattern lists: in order, a match includes, a "!" match excludes. */
function selected(file: string, patterns: readonly string[]): boolean {
  let included = false;
  for (const p of patterns) {
    if (p.startsWith("!")) {
      if (matchesGlob(file, p.slice(1))) included = false;
    } else if (matchesGlob(file, p)) included = true;
  }
  return included;
}

function walk(dir: string, rel: string, out: string[]): void {
  for (const entry of readdirSync(join(dir, rel), { withFileTypes: true })) {
    const path = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) walk(dir, path, out);
    else if (entry.isFile()) out.push(path);
  }
}

/** The packaged app's files for a platform, relative to the app folder (project files + production node_modules). */
function appFiles(platform: Platform): string[] {
  const projectFiles: string[] = ["package.json"];
  for (const top of ["dist", "assets"]) walk(root, top, projectFiles);
  const files = projectFiles.filter((f) => selected(f, config.files));
  const { picked, problems } = lockClosure(lock, Object.keys(pkg.dependencies));
  expect(problems).toEqual([]);
  // electron-builder's own exclusions inside node_modules (binaries, typings, docs).
  const defaults = ["node_modules/**", "!node_modules/.bin/**", "!**/*.d.ts", "!**/*.{md,markdown}", "!**/*.{o,a,obj,mk,cc}"];
  const platformFiles = config[platform].files ?? [];
  for (const path of picked.keys()) {
    if (!existsSync(join(root, path))) continue; // an optional package for another OS/CPU, not installed here
    const modFiles: string[] = [];
    walk(root, path, modFiles);
    for (const f of modFiles) if (!f.includes("/node_modules/", path.length) && selected(f, [...defaults, ...platformFiles])) files.push(f);
  }
  return files;
}

let work: string;
let resources: string;
let files: string[];
let worker: InstalledWorker | undefined;
const unpacked = (f: string) => selected(f, config.asarUnpack);

beforeAll(async () => {
  expect(existsSync(join(root, "dist/worker-agent/cli.js")), "run npm run build first").toBe(true);
  work = await mkdtemp(join(tmpdir(), "llorch-desktop-layout-"));
  resources = join(work, "resources");
  files = [...new Set(appFiles(HOST))];
  // Hard links: the same bytes without copying hundreds of MiB.
  for (const f of files) {
    const target = unpacked(f) ? join(resources, "app.asar.unpacked", f) : join(work, "asar-input", f);
    mkdirSync(dirname(target), { recursive: true });
    linkSync(join(root, f), target);
  }
  const asar = await runCommand(join(root, "node_modules/.bin/asar"), ["pack", join(work, "asar-input"), join(resources, "app.asar")], { timeoutMs: 120_000 });
  expect(asar.code, asar.stderr).toBe(0);
}, 180_000);

afterAll(async () => {
  await worker?.stop();
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

describe(`desktop packaging layout (${HOST})`, () => {
  it("packs the shell, orchestrator and dashboard into app.asar, nothing else", async () => {
    const list = await runCommand(join(root, "node_modules/.bin/asar"), ["list", join(resources, "app.asar")]);
    expect(list.code, list.stderr).toBe(0);
    const entries = list.stdout.split("\n").map((l) => l.trim().replace(/^[/\\]/, ""));
    for (const f of ["package.json", "dist/src-main/electron/main.js", "dist/src-main/orchestrator/index.js", "dist/renderer/index.html"]) expect(entries, f).toContain(f);
    expect(entries.some((e) => e.startsWith("node_modules"))).toBe(false);
    expect(entries.some((e) => e.endsWith(".map") || e.endsWith(".test.js") || e.endsWith(".ts"))).toBe(false);
  });

  it("every native module lands unpacked; only this platform's llama.cpp builds are packaged", () => {
    const natives = files.filter((f) => f.endsWith(".node") || /\.(so|dylib|dll)(\.\d+)*$/.test(f));
    expect(natives.some((f) => f.startsWith("node_modules/@libsql/"))).toBe(true);
    expect(natives.some((f) => f.startsWith("node_modules/@node-llama-cpp/"))).toBe(true);
    for (const f of natives) {
      expect(unpacked(f), f).toBe(true);
      expect(existsSync(join(resources, "app.asar.unpacked", f)), f).toBe(true);
    }
    const addons = natives.filter((f) => f.endsWith(".node"));
    console.log(`unpacked natives (${natives.length} files, ${addons.length} Node addons):\n  ${addons.join("\n  ")}`);
    const builds = new Set(files.filter((f) => f.startsWith("node_modules/@node-llama-cpp/")).map((f) => f.split("/")[2]));
    const ownPrefix = HOST === "linux" ? "linux-x64" : HOST === "mac" ? "mac-" : "win-x64";
    for (const b of builds) expect(b?.startsWith(ownPrefix), `@node-llama-cpp/${b}`).toBe(true);
  });

  it("each platform's files rules keep only that platform's llama.cpp builds (names from the lockfile)", () => {
    const names = Object.keys(lock.packages).filter((p) => p.startsWith("node_modules/@node-llama-cpp/")).map((p) => p.split("/")[2] ?? "");
    const kept = (platform: Platform) => names.filter((n) => selected(`node_modules/@node-llama-cpp/${n}/package.json`, ["node_modules/**", ...(config[platform].files ?? [])])).sort();
    expect(kept("linux")).toEqual(["linux-x64", "linux-x64-cuda", "linux-x64-cuda-ext", "linux-x64-vulkan"]);
    expect(kept("mac")).toEqual(["mac-arm64-metal", "mac-x64"]);
    expect(kept("win")).toEqual(["win-x64", "win-x64-cuda", "win-x64-cuda-ext", "win-x64-vulkan"]);
    const mib = (n: number) => `${(n / 1024 / 1024).toFixed(0)} MiB`;
    const size = (list: readonly string[]) => list.reduce((s, f) => s + statSync(join(root, f)).size, 0);
    const llama = files.filter((f) => f.startsWith("node_modules/@node-llama-cpp/"));
    const base = files.filter((f) => !f.startsWith("node_modules/@node-llama-cpp/"));
    const asarBytes = statSync(join(resources, "app.asar")).size;
    console.log(
      [
        `packaged size budget (the app's resources; Electron's own runtime, not downloadable here, comes on top):`,
        `  common to every platform: ${mib(size(base))} (app.asar ${mib(asarBytes)}, the rest unpacked: node_modules without llama.cpp builds, worker, model maker)`,
        `  ${HOST}: ${mib(size(base) + size(llama))} = common + llama.cpp builds ${[...new Set(llama.map((f) => f.split("/")[2]))].sort().join(", ")} (${mib(size(llama))})`,
        ...(["linux", "mac", "win"] as const).filter((p) => p !== HOST).map((p) => `  ${p}: common + ${kept(p).join(", ")} (those builds are not installed on this ${HOST} machine, so not measured here)`),
      ].join("\n"),
    );
  });

  it("the model maker and the local worker run from app.asar.unpacked with plain Node as ELECTRON_RUN_AS_NODE", async () => {
    const unpackedDir = join(resources, "app.asar.unpacked");
    const env = { ...process.env, ELECTRON_RUN_AS_NODE: "1", HOME: join(work, "home") };
    const models = join(work, "models");
    const make = await runCommand(process.execPath, [join(unpackedDir, "dist/scripts/make-model.js"), join(models, "demo.gguf"), "--size", "tiny"], { env, timeoutMs: 60_000 });
    expect(make.code, make.stderr).toBe(0);
    const doctor = await runCommand(process.execPath, [join(unpackedDir, "dist/worker-agent/cli.js"), "doctor", "--models-dir", models], { env, timeoutMs: 60_000 });
    expect(doctor.code, `${doctor.stdout}\n${doctor.stderr}`).toBe(0);
    expect(doctor.stdout).toMatch(/llama\.cpp backend: \w+/);
    expect(doctor.stdout).toContain("(1 GGUF file)");
    worker = await startInstalledWorker(process.execPath, [join(unpackedDir, "dist/worker-agent/cli.js"), "start", "--models-dir", models, "--bind", "127.0.0.1:0", "--data-dir", join(work, "worker-data"), "--log-format", "json"], env);
    const running = worker;
    await waitFor("the packaged worker's pool ready", () => /"msg":"listening"/.test(running.output()) && /"msg":"engine ready"/.test(running.output()), 60_000);
    expect(await running.stop()).toEqual({ code: 0, signal: null });
    worker = undefined;
  }, 120_000);
});
