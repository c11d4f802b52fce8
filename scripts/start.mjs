#!/usr/bin/env node
// `npm start`: build if needed, launch the Electron app; when Electron cannot start here (no binary, no
// display), run the same orchestrator headless with the dashboard and a local worker, and say so.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildIfStale } from "./bin/build-if-stale.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);
const headlessEntry = join(root, "dist/src-main/headless/cli.js");
const electronEntry = join(root, "dist/src-main/electron/main.js");

// Build first when the build is missing or older than the sources (scripts/bin/build-if-stale.mjs).
buildIfStale({
  root,
  name: "llama-orch",
  script: "build",
  outputs: [headlessEntry, electronEntry, join(root, "worker-agent/dist/cli.js"), join(root, "dist/renderer/index.html")].map((p) => p.slice(root.length + 1)),
  sources: ["package.json", "src-shared", "src-node", "src-main", "src-renderer", "worker-agent", "scripts/gguf", "scripts/make-model.ts"],
});

/** The Electron binary path, or the reason it cannot be used here. */
function electronBinary() {
  if (process.env.LLORCH_HEADLESS === "1") return { reason: "LLORCH_HEADLESS=1" };
  const found = findElectron();
  if (!found.binary) return found;
  if (process.platform === "linux" && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return { reason: "no display (DISPLAY/WAYLAND_DISPLAY unset)" };
  }
  // Chromium refuses to run as root without --no-sandbox, and the desktop app never turns its sandbox off.
  if (process.platform === "linux" && process.getuid?.() === 0) return { reason: "running as root (Chromium's sandbox refuses root)" };
  return found;
}

/** Never require("electron") before path.txt exists: that would try to download the binary. */
function findElectron() {
  const explicit = process.env.ELECTRON_EXECUTABLE;
  if (explicit) return existsSync(explicit) ? { binary: explicit } : { reason: `ELECTRON_EXECUTABLE=${explicit} does not exist` };
  let pkgDir;
  try {
    pkgDir = dirname(require.resolve("electron/package.json"));
  } catch {
    return { reason: "the electron package is not installed" };
  }
  if (!existsSync(join(pkgDir, "path.txt"))) return { reason: "the Electron binary was never downloaded (offline install)" };
  const binary = require("electron");
  return existsSync(binary) ? { binary } : { reason: `the Electron binary is missing at ${binary}` };
}

const args = process.argv.slice(2);
const electron = existsSync(electronEntry) ? electronBinary() : { reason: "the Electron shell is not built" };
const child = electron.binary
  ? spawn(electron.binary, [electronEntry, ...args], { cwd: root, stdio: "inherit" })
  : (console.log(`llama-orch: Electron cannot start here (${electron.reason}); running headless instead.`),
    spawn(process.execPath, [headlessEntry, "--home", ...args], { cwd: root, stdio: "inherit" }));

for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
