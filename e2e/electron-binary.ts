// Where the Electron binary is, found WITHOUT require("electron"): that require downloads ~100 MB on a
// networked machine and throws "Electron failed to install correctly" on an offline one. Electron E2E
// specs run where a binary exists and are skipped, with this reason, where none does.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../", import.meta.url));
export const ELECTRON_MAIN = join(REPO_ROOT, "dist/src-main/electron/main.js");

export type ElectronBinary = { binary: string } | { reason: string };

/** The platform's executable name inside Electron's dist folder (what path.txt would hold). */
function defaultExecutableName(): string {
  if (process.platform === "win32") return "electron.exe";
  if (process.platform === "darwin") return "Electron.app/Contents/MacOS/Electron";
  return "electron";
}

export function resolveElectronBinary(env: NodeJS.ProcessEnv = process.env, root = REPO_ROOT): ElectronBinary {
  if (env.ELECTRON_EXECUTABLE) {
    return existsSync(env.ELECTRON_EXECUTABLE) ? { binary: env.ELECTRON_EXECUTABLE } : { reason: `ELECTRON_EXECUTABLE=${env.ELECTRON_EXECUTABLE} does not exist` };
  }
  const pkgDir = join(root, "node_modules", "electron");
  const pathFile = join(pkgDir, "path.txt");
  const name = existsSync(pathFile) ? readFileSync(pathFile, "utf8").trim() : defaultExecutableName();
  if (env.ELECTRON_OVERRIDE_DIST_PATH) {
    const candidate = join(env.ELECTRON_OVERRIDE_DIST_PATH, name);
    return existsSync(candidate) ? { binary: candidate } : { reason: `no Electron binary at ELECTRON_OVERRIDE_DIST_PATH (${candidate})` };
  }
  if (!existsSync(join(pkgDir, "package.json"))) return { reason: "the electron npm package is not installed" };
  if (!existsSync(pathFile)) return { reason: "node_modules/electron has no path.txt/dist: the binary was never downloaded; set ELECTRON_EXECUTABLE or ELECTRON_OVERRIDE_DIST_PATH to run these specs" };
  const binary = join(pkgDir, "dist", name);
  return existsSync(binary) ? { binary } : { reason: `node_modules/electron/dist/${name} is missing` };
}

/** Why Electron cannot open a window here, or null when it can. */
export function displayProblem(env: NodeJS.ProcessEnv = process.env): string | null {
  if (process.platform === "linux" && !env.DISPLAY && !env.WAYLAND_DISPLAY) return "no display (DISPLAY/WAYLAND_DISPLAY unset; run under xvfb-run -a)";
  return null;
}

/** The reason the Electron specs are skipped here, or null when they run. */
export function electronSkipReason(env: NodeJS.ProcessEnv = process.env): string | null {
  const found = resolveElectronBinary(env);
  if ("reason" in found) return `Electron binary not installed (offline install): ${found.reason}`;
  return displayProblem(env);
}
