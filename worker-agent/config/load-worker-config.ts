import { availableParallelism, homedir, hostname } from "node:os";
import type { WorkerFlags } from "./cli-flags.js";
import { configFromEnv, configFromFile, configFromFlags, type ConfigLayer } from "./config-layers.js";
import { resolveWorkerConfig, type MachineFacts, type ResolveConfigResult } from "./resolve-worker-config.js";

export function currentMachineFacts(env: Readonly<Record<string, string | undefined>> = process.env): MachineFacts {
  return {
    hostname: hostname(),
    homedir: homedir(),
    cpuCores: availableParallelism(),
    xdgStateHome: env.XDG_STATE_HOME || undefined,
    xdgCacheHome: env.XDG_CACHE_HOME || undefined,
  };
}

/** Reads every source and resolves the effective configuration (flags > env > file > defaults). */
export async function loadWorkerConfig(
  flags: WorkerFlags,
  env: Readonly<Record<string, string | undefined>>,
  machine: MachineFacts = currentMachineFacts(env),
): Promise<ResolveConfigResult> {
  const configPath = flags.config ?? env.POOL_MANAGERD_CONFIG;
  const file: ConfigLayer = configPath !== undefined && configPath !== "" ? await configFromFile(configPath) : { values: {}, origins: {}, errors: [] };
  return resolveWorkerConfig({ flags: await configFromFlags(flags), env: await configFromEnv(env), file }, machine);
}
