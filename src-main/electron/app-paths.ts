// Where the desktop app keeps things. Everything is derived from Electron's per-OS paths; the pure part
// (overrides from the environment and the command line) is here so tests can isolate instances.
import { isAbsolute, join, resolve } from "node:path";
import { localModelsDir } from "../local-worker/models-dir.js";

/**
 * A userData override from `LLORCH_USER_DATA_DIR` or `--user-data-dir=<dir>` / `--user-data-dir <dir>`
 * (the env var wins). It must be applied before the single-instance lock, which is keyed on userData.
 */
export function userDataOverride(argv: readonly string[], env: NodeJS.ProcessEnv): string | null {
  const fromEnv = env.LLORCH_USER_DATA_DIR?.trim();
  if (fromEnv) return resolve(fromEnv);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg.startsWith("--user-data-dir=")) {
      const value = arg.slice("--user-data-dir=".length);
      if (value !== "") return resolve(value);
    } else if (arg === "--user-data-dir") {
      const value = argv[i + 1];
      if (value !== undefined && value !== "" && !value.startsWith("--")) return resolve(value);
    }
  }
  return null;
}

export interface ShellPaths {
  userData: string;
  /** The embedded orchestrator's data dir: database, generated API token. */
  orchestratorData: string;
  logsDir: string;
  mainLog: string;
  windowState: string;
  shellSettings: string;
  /** The default models folder of the local worker: the worker's own default (~/.cache/llama-orch/models). */
  defaultModelsDir: string;
}

export function shellPaths(dirs: { userData: string; logs: string; home: string; env?: NodeJS.ProcessEnv }): ShellPaths {
  return {
    userData: dirs.userData,
    orchestratorData: join(dirs.userData, "orchestrator"),
    logsDir: dirs.logs,
    mainLog: join(dirs.logs, "main.log"),
    windowState: join(dirs.userData, "window-state.json"),
    shellSettings: join(dirs.userData, "shell-settings.json"),
    defaultModelsDir: localModelsDir({ env: { XDG_CACHE_HOME: dirs.env?.XDG_CACHE_HOME }, home: dirs.home }).dir,
  };
}

/**
 * The models folder to use, in the worker's order (src-main/local-worker/models-dir.ts):
 * POOL_MANAGERD_MODELS_DIR, then the one chosen in the app (absolute), then the default.
 */
export function modelsDirFor(configured: string | null, paths: ShellPaths, env: NodeJS.ProcessEnv = {}): string {
  const fromEnv = env.POOL_MANAGERD_MODELS_DIR?.trim();
  if (fromEnv) return localModelsDir({ env }).dir;
  return configured !== null && isAbsolute(configured) ? configured : paths.defaultModelsDir;
}
