// Where the desktop app keeps things. Everything is derived from Electron's per-OS paths; the pure part
// (overrides from the environment and the command line) is here so tests can isolate instances.
import { isAbsolute, join, resolve } from "node:path";

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
  /** The default models folder of the local worker. */
  defaultModelsDir: string;
}

export function shellPaths(dirs: { userData: string; logs: string; documents: string }): ShellPaths {
  return {
    userData: dirs.userData,
    orchestratorData: join(dirs.userData, "orchestrator"),
    logsDir: dirs.logs,
    mainLog: join(dirs.logs, "main.log"),
    windowState: join(dirs.userData, "window-state.json"),
    shellSettings: join(dirs.userData, "shell-settings.json"),
    defaultModelsDir: join(dirs.documents, "llama-orch", "models"),
  };
}

/** The models folder to use: the configured one (absolute), else the default. */
export function modelsDirFor(configured: string | null, paths: ShellPaths): string {
  return configured !== null && isAbsolute(configured) ? configured : paths.defaultModelsDir;
}
