import { join, resolve } from "node:path";
import { WorkerConfigSchema, type WorkerConfig } from "../../src-shared/config/worker-config.js";
import { SAFE_ID_PATTERN } from "../../src-shared/common/ids.js";
import { parseJoin } from "../../src-shared/auth/join-command.js";
import type { ConfigLayer } from "./config-layers.js";
import { defaultThreadCount } from "./default-threads.js";

/** Facts about the machine that defaults depend on (injected so tests are deterministic). */
export interface MachineFacts {
  hostname: string;
  homedir: string;
  cpuCores: number;
  /** XDG_STATE_HOME / XDG_CACHE_HOME when set. */
  xdgStateHome?: string | undefined;
  xdgCacheHome?: string | undefined;
}

export type ResolveConfigResult = { ok: true; config: WorkerConfig } | { ok: false; errors: string[] };

/** Hostnames may hold characters ids may not (e.g. "_" first, or unicode); keep the id safe. */
export function nodeIdFromHostname(hostname: string): string {
  const cleaned = hostname.replace(/[^A-Za-z0-9._-]/g, "-").replace(/^[^A-Za-z0-9]+/, "").slice(0, 128);
  return SAFE_ID_PATTERN.test(cleaned) ? cleaned : "unknown-node";
}

/** `~` and `~/x` → the home dir; relative paths → absolute (engine children and systemd need no cwd). */
function expandHome(value: unknown, homedir: string): unknown {
  if (typeof value !== "string" || value === "") return value;
  if (value === "~") return homedir;
  if (value.startsWith("~/")) return join(homedir, value.slice(2));
  return resolve(value);
}

/**
 * Merges flags > env > file > defaults (per top-level key; a nested object such as `supervisor`
 * comes whole from the highest layer that sets it) and validates the result. Errors name the key
 * and the source it came from, e.g. `heartbeat_interval_secs (from env POOL_MANAGERD_HEARTBEAT_INTERVAL_SECS): …`.
 */
export function resolveWorkerConfig(layers: { flags: ConfigLayer; env: ConfigLayer; file: ConfigLayer }, machine: MachineFacts): ResolveConfigResult {
  const errors = [...layers.file.errors, ...layers.env.errors, ...layers.flags.errors];
  const merged: Record<string, unknown> = {};
  const origins: Record<string, string> = {};
  for (const layer of [layers.file, layers.env, layers.flags]) {
    Object.assign(merged, layer.values);
    Object.assign(origins, layer.origins);
  }

  const stateHome = machine.xdgStateHome ?? join(machine.homedir, ".local", "state");
  const cacheHome = machine.xdgCacheHome ?? join(machine.homedir, ".cache");
  merged.node_id ??= nodeIdFromHostname(machine.hostname);
  merged.machine_id ??= merged.node_id;
  merged.models_dir = expandHome(merged.models_dir ?? join(cacheHome, "llama-orch", "models"), machine.homedir);
  merged.data_dir = expandHome(merged.data_dir ?? join(stateHome, "llama-orch-worker"), machine.homedir);
  merged.runtime_dir = expandHome(
    merged.runtime_dir ?? (typeof merged.data_dir === "string" ? join(merged.data_dir, "engines") : undefined),
    machine.homedir,
  );
  merged.threads ??= defaultThreadCount(machine.cpuCores);
  // `join` is three settings in one string; one set on its own must agree with it.
  if (typeof merged.join === "string") {
    const parsed = parseJoin(merged.join);
    if (!parsed.ok) errors.push(`join (from ${origins.join ?? "config"}): ${parsed.error}`);
    else {
      for (const [key, value] of [["orchestrator_url", parsed.join.orchestratorUrl], ["join_token", parsed.join.joinToken], ["ca_fingerprint", parsed.join.caFingerprint]] as const) {
        if (value === undefined) continue;
        const own = merged[key];
        if (own !== undefined && own !== value && !(key === "orchestrator_url" && typeof own === "string" && own.replace(/\/+$/, "") === value)) errors.push(`join (from ${origins.join ?? "config"}) disagrees with ${key} (from ${origins[key] ?? "config"})`);
        merged[key] = value;
      }
    }
  }
  if (typeof merged.ca_fingerprint === "string" && typeof merged.orchestrator_url === "string" && !merged.orchestrator_url.startsWith("https:")) errors.push("ca_fingerprint is set but orchestrator_url is not https://");

  const parsed = WorkerConfigSchema.safeParse(merged);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.map(String);
      const top = path[0];
      const key = path.length > 0 ? path.join(".") : "(config)";
      const origin = top !== undefined ? origins[top] : undefined;
      // Unknown keys: zod reports them on the parent with the names in `keys`.
      const unknown = issue.code === "unrecognized_keys" ? ` (${issue.keys.join(", ")})` : "";
      errors.push(`${key}${unknown}${origin !== undefined ? ` (from ${origin})` : ""}: ${issue.message}`);
    }
  }
  if (errors.length > 0 || !parsed.success) return { ok: false, errors };
  return { ok: true, config: parsed.data };
}
