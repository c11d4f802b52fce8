import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { SETTING_KEYS, type PinnedSetting } from "../../../src-shared/dashboard/settings.js";
import { editDistance, envTypos, foreignEnvWarnings, unknownEnvMessage } from "../../../src-shared/config/env-typos.js";
import { ORCHESTRATOR_ENV_KEYS, OrchestratorConfigSchema, type OrchestratorConfig, type OrchestratorConfigInput } from "../../../src-shared/config/orchestrator-config.js";

/** A configuration error that names the offending key and where it came from. */
export class ConfigError extends Error {}

/** The platform's application-data directory for llama-orch. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (process.platform === "win32") return join(env.APPDATA ?? join(homedir(), "AppData", "Roaming"), "llama-orch");
  if (process.platform === "darwin") return join(homedir(), "Library", "Application Support", "llama-orch");
  return join(env.XDG_DATA_HOME ?? join(homedir(), ".local", "share"), "llama-orch");
}

/** What text from the environment becomes for a setting: read off its schema, so a new setting cannot be missed. */
function settingKind(schema: z.ZodType): "boolean" | "number" | "list" | "text" {
  let inner: z.ZodType = schema;
  while (inner instanceof z.ZodDefault || inner instanceof z.ZodOptional || inner instanceof z.ZodNullable) inner = inner.unwrap() as z.ZodType;
  if (inner instanceof z.ZodBoolean) return "boolean";
  if (inner instanceof z.ZodNumber) return "number";
  if (inner instanceof z.ZodArray) return "list";
  return "text";
}
const KINDS = new Map(Object.entries(OrchestratorConfigSchema.shape).map(([key, schema]) => [key, settingKind(schema as z.ZodType)]));
const BOOLEAN_KEYS = new Set([...KINDS].filter(([, k]) => k === "boolean").map(([key]) => key));
const NUMBER_KEYS = new Set([...KINDS].filter(([, k]) => k === "number").map(([key]) => key));
const LIST_KEYS = new Set([...KINDS].filter(([, k]) => k === "list").map(([key]) => key));

function envValue(key: string, raw: string, envName: string): unknown {
  if (BOOLEAN_KEYS.has(key)) {
    if (raw === "true" || raw === "1") return true;
    if (raw === "false" || raw === "0") return false;
    throw new ConfigError(`${envName}: expected true or false, got "${raw}"`);
  }
  if (NUMBER_KEYS.has(key)) {
    if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(`${envName}: expected an integer, got "${raw}"`);
    return Number(raw);
  }
  if (LIST_KEYS.has(key)) return raw.split(",").map((s) => s.trim()).filter(Boolean);
  return raw;
}

export interface ConfigLoadOptions {
  env?: NodeJS.ProcessEnv;
  file?: string;
  overrides?: Partial<OrchestratorConfigInput>;
}

// ORCHD_* and ORCHESTRATORD_* are the orchestrator's own (ORCHESTRATORD_URL is the worker's, often in a shared env file).
const ORCHESTRATOR_ENV_PREFIXES = ["ORCHD_", "ORCHESTRATORD_"];
const KNOWN_ORCHESTRATOR_ENV: ReadonlySet<string> = new Set([...Object.keys(ORCHESTRATOR_ENV_KEYS), "ORCHESTRATORD_URL"]);

/** Warnings for the start: variables under the orchestrator's prefixes that are no setting and no near typo of one. */
export function ignoredOrchestratorEnv(env: Readonly<Record<string, string | undefined>> = process.env): string[] {
  return foreignEnvWarnings(env, ORCHESTRATOR_ENV_PREFIXES, KNOWN_ORCHESTRATOR_ENV, "docs/CONFIGURATION.md");
}

/**
 * Orchestrator configuration: env > config file (`--config`, JSON) > defaults, validated by the
 * shared zod schema. Errors name the key and its source.
 */
export function loadOrchestratorConfig(opts: ConfigLoadOptions = {}): OrchestratorConfig {
  return loadOrchestratorConfigWithPins(opts).config;
}

/**
 * The configuration plus the dashboard settings it pins: a key set in the environment or the
 * config file wins over a value stored from the dashboard (env > config file > dashboard).
 */
export function loadOrchestratorConfigWithPins(opts: ConfigLoadOptions = {}): { config: OrchestratorConfig; pinned: PinnedSetting[] } {
  const env = opts.env ?? process.env;
  let fromFile: Record<string, unknown> = {};
  if (opts.file !== undefined) {
    if (!existsSync(opts.file)) throw new ConfigError(`config file ${opts.file} does not exist`);
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(opts.file, "utf8"));
    } catch (err) {
      throw new ConfigError(`config file ${opts.file}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const object = z.record(z.string(), z.unknown()).safeParse(json);
    if (!object.success) throw new ConfigError(`config file ${opts.file}: expected a JSON object of settings ({"key": value, …}), got ${Array.isArray(json) ? "an array" : json === null ? "null" : typeof json}`);
    fromFile = object.data;
  }
  const typo = envTypos(env, ORCHESTRATOR_ENV_PREFIXES, KNOWN_ORCHESTRATOR_ENV)[0];
  if (typo !== undefined) throw new ConfigError(`invalid configuration: ${unknownEnvMessage(typo, "docs/CONFIGURATION.md")}`);
  const fromEnv: Record<string, unknown> = {};
  for (const [envName, key] of Object.entries(ORCHESTRATOR_ENV_KEYS)) {
    const raw = env[envName];
    if (raw !== undefined && raw !== "") fromEnv[key] = envValue(key, raw, envName);
  }
  const tokens = [env.LLORCH_API_TOKEN, ...(env.LLORCH_API_TOKENS ?? "").split(",")].map((t) => t?.trim()).filter((t): t is string => !!t);
  if (tokens.length > 0) fromEnv.api_tokens = [...new Set(tokens)];

  const merged = { data_dir: defaultDataDir(env), ...fromFile, ...fromEnv, ...opts.overrides };
  const parsed = OrchestratorConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (issue?.code === "unrecognized_keys") {
      const unknown = issue.keys[0] ?? "";
      const where = unknown in fromFile ? `config file ${opts.file ?? ""} key` : "key";
      const near = closestKey(unknown, Object.keys(OrchestratorConfigSchema.shape));
      throw new ConfigError(`invalid configuration: ${where} "${unknown}" is not a setting${near !== undefined ? ` (did you mean "${near}"?)` : ""}; docs/CONFIGURATION.md lists them`);
    }
    const key = String(issue?.path[0] ?? "");
    const envName = Object.entries(ORCHESTRATOR_ENV_KEYS).find(([, k]) => k === key)?.[0] ?? (key === "api_tokens" ? "LLORCH_API_TOKEN(S)" : undefined);
    const source = key in fromEnv ? `env ${envName}` : key in fromFile ? `config file key "${key}"` : `"${key}"`;
    throw new ConfigError(`invalid configuration: ${source}${issue && issue.path.length > 1 ? ` (${issue.path.join(".")})` : ""}: ${issue?.message ?? "invalid"}`);
  }
  const pinned: PinnedSetting[] = [];
  for (const key of SETTING_KEYS) {
    const envName = Object.entries(ORCHESTRATOR_ENV_KEYS).find(([, k]) => k === key)?.[0];
    if (key in fromEnv && envName !== undefined) pinned.push({ key, source: `env ${envName}` });
    else if (key in fromFile) pinned.push({ key, source: `config file ${opts.file ?? ""}`.trim() });
  }
  return { config: parsed.data, pinned };
}

/** The known key a typo most likely meant (edit distance ≤ 3), if any. */
function closestKey(typo: string, keys: readonly string[]): string | undefined {
  let best: { key: string; d: number } | undefined;
  for (const key of keys) {
    const d = editDistance(typo.toLowerCase(), key);
    if (d <= 3 && (best === undefined || d < best.d)) best = { key, d };
  }
  return best?.key;
}

