import { readFile } from "node:fs/promises";
import { envTypos, foreignEnvWarnings, unknownEnvMessage } from "../../src-shared/config/env-typos.js";
import { WORKER_ENV_KEYS } from "../../src-shared/config/worker-config.js";
import { dirname, isAbsolute, resolve } from "node:path";
import type { WorkerFlags } from "./cli-flags.js";
import { parsePoolSpecList } from "./pool-spec.js";

/** One configuration source: raw values by top-level key, and where each came from (for error messages). */
export interface ConfigLayer {
  values: Record<string, unknown>;
  origins: Record<string, string>;
  /** Problems found while reading the source itself (e.g. an unparsable --pool). */
  errors: string[];
}

const NUMERIC_KEYS = new Set(["heartbeat_interval_secs", "threads", "auto_pool_slots", "slot_wait_ms"]);

/** Numbers arrive as strings from flags and env; anything not numeric stays a string so zod names it. */
function coerce(key: string, raw: string): unknown {
  if (NUMERIC_KEYS.has(key) && raw.trim() !== "" && Number.isFinite(Number(raw))) return Number(raw);
  return raw;
}

function emptyLayer(): ConfigLayer {
  return { values: {}, origins: {}, errors: [] };
}

const FLAG_KEYS: ReadonlyArray<[keyof WorkerFlags, string]> = [
  ["node-id", "node_id"],
  ["machine-id", "machine_id"],
  ["bind", "bind_addr"],
  ["advertise-url", "advertise_url"],
  ["orchestrator-url", "orchestrator_url"],
  ["join", "join"],
  ["heartbeat-interval", "heartbeat_interval_secs"],
  ["models-dir", "models_dir"],
  ["runtime-dir", "runtime_dir"],
  ["data-dir", "data_dir"],
  ["log-level", "log_level"],
  ["threads", "threads"],
  ["slots", "auto_pool_slots"],
];

export async function configFromFlags(flags: WorkerFlags): Promise<ConfigLayer> {
  const layer = emptyLayer();
  for (const [flag, key] of FLAG_KEYS) {
    const raw = flags[flag];
    if (typeof raw !== "string") continue;
    layer.values[key] = coerce(key, raw);
    layer.origins[key] = `--${flag}`;
  }
  if (flags.pool !== undefined && flags.pool.length > 0) {
    const { pools, errors } = parsePoolSpecList(flags.pool);
    layer.values.pools = pools;
    layer.origins.pools = "--pool";
    layer.errors.push(...errors.map((e) => `${e} (from --pool)`));
  }
  if (flags["api-token-file"] !== undefined) await readTokenFile(layer, flags["api-token-file"], "--api-token-file");
  return layer;
}

/** Env var → config key (shared with the generated configuration reference). */
export const ENV_KEYS: ReadonlyArray<readonly [string, string]> = WORKER_ENV_KEYS;

const knownWorkerEnv = (): ReadonlySet<string> => new Set([...ENV_KEYS.map(([name]) => name), "POOL_MANAGERD_POOLS", "POOL_MANAGERD_CONFIG"]);

/** Warnings for the start: POOL_MANAGERD_* variables that are no setting and no near typo of one. */
export function ignoredWorkerEnv(env: Readonly<Record<string, string | undefined>>): string[] {
  return foreignEnvWarnings(env, ["POOL_MANAGERD_"], knownWorkerEnv(), "docs/CONFIGURATION.md");
}

export async function configFromEnv(env: Readonly<Record<string, string | undefined>>): Promise<ConfigLayer> {
  const layer = emptyLayer();
  // POOL_MANAGERD_* is the worker's own: a misspelt one is refused, not silently ignored (ignoredWorkerEnv warns of the rest).
  for (const typo of envTypos(env, ["POOL_MANAGERD_"], knownWorkerEnv())) layer.errors.push(unknownEnvMessage(typo, "docs/CONFIGURATION.md"));
  for (const [name, key] of ENV_KEYS) {
    const raw = env[name];
    if (raw === undefined || raw === "") continue;
    layer.values[key] = coerce(key, raw);
    layer.origins[key] = `env ${name}`;
  }
  const pools = env.POOL_MANAGERD_POOLS;
  if (pools !== undefined && pools.trim() !== "") {
    const parsed = parsePoolSpecList(pools.split(";").filter((s) => s.trim() !== ""));
    layer.values.pools = parsed.pools;
    layer.origins.pools = "env POOL_MANAGERD_POOLS";
    layer.errors.push(...parsed.errors.map((e) => `${e} (from env POOL_MANAGERD_POOLS)`));
  }
  const tokenFile = env.LLORCH_API_TOKEN_FILE;
  if (layer.values.api_token === undefined && tokenFile !== undefined && tokenFile !== "") {
    await readTokenFile(layer, tokenFile, "env LLORCH_API_TOKEN_FILE");
  }
  return layer;
}

const DIR_KEYS = ["models_dir", "runtime_dir", "data_dir"];

/** A JSON config file; relative directories in it are relative to the file. */
export async function configFromFile(path: string): Promise<ConfigLayer> {
  const layer = emptyLayer();
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    layer.errors.push(`--config ${path}: cannot read: ${(error as Error).message}`);
    return layer;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    layer.errors.push(`--config ${path}: not valid JSON: ${(error as Error).message}`);
    return layer;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    layer.errors.push(`--config ${path}: must contain a JSON object`);
    return layer;
  }
  for (const [key, value] of Object.entries(parsed)) {
    // An empty directory stays empty (refused by the schema): resolved, it silently became the file's own folder.
    layer.values[key] = DIR_KEYS.includes(key) && typeof value === "string" && value !== "" && !isAbsolute(value) && !value.startsWith("~")
      ? resolve(dirname(path), value)
      : value;
    layer.origins[key] = `config file ${path}`;
  }
  return layer;
}

async function readTokenFile(layer: ConfigLayer, path: string, origin: string): Promise<void> {
  try {
    layer.values.api_token = (await readFile(path, "utf8")).trim();
    layer.origins.api_token = origin;
  } catch (error) {
    layer.errors.push(`api_token (from ${origin}): cannot read ${path}: ${(error as Error).message}`);
  }
}
