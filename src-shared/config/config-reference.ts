import { z } from "zod";
import { ORCHESTRATOR_ENV_KEYS, OrchestratorConfigSchema } from "./orchestrator-config.js";
import { WORKER_ENV_KEYS, WorkerConfigSchema } from "./worker-config.js";

interface JsonSchemaProperty {
  type?: string | string[];
  enum?: unknown[];
  default?: unknown;
  description?: string;
  minimum?: number;
  maximum?: number;
  items?: JsonSchemaProperty;
  anyOf?: JsonSchemaProperty[];
}

function typeOf(p: JsonSchemaProperty): string {
  if (p.enum) return p.enum.map((v) => `\`${String(v)}\``).join(" \\| ");
  if (p.anyOf) return p.anyOf.map(typeOf).join(" \\| ");
  if (p.type === "array") return `list of ${p.items ? typeOf(p.items) : "values"}`;
  const base = Array.isArray(p.type) ? p.type.join(" \\| ") : (p.type ?? "value");
  // Zod's int bounds of ±2^53 are not limits anyone sets; show only real ones.
  const min = p.minimum !== undefined && Math.abs(p.minimum) < Number.MAX_SAFE_INTEGER ? p.minimum : undefined;
  const max = p.maximum !== undefined && Math.abs(p.maximum) < Number.MAX_SAFE_INTEGER ? p.maximum : undefined;
  const range = min !== undefined && max !== undefined ? ` (${min}–${max})` : min !== undefined ? ` (≥ ${min})` : max !== undefined ? ` (≤ ${max})` : "";
  return `${base}${range}`;
}

/** Markdown table of a config schema: key, environment variable, type, default, meaning. */
export function renderConfigTable(schema: z.ZodType, envByKey: Readonly<Record<string, string>>): string {
  const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as { properties?: Record<string, JsonSchemaProperty> };
  const rows = Object.entries(json.properties ?? {}).map(([key, p]) => {
    // Descriptions are written "ENV_NAME — meaning"; the env name has its own column.
    const description = (p.description ?? "").replace(/^[A-Z0-9_() ]+ — /, "").replace(/\|/g, "\\|");
    const def = p.default === undefined ? "—" : `\`${JSON.stringify(p.default)}\``;
    return `| \`${key}\` | ${envByKey[key] ? `\`${envByKey[key]}\`` : "—"} | ${typeOf(p)} | ${def} | ${description} |`;
  });
  return ["| key | environment | type | default | meaning |", "|---|---|---|---|---|", ...rows].join("\n");
}

/** docs/CONFIGURATION.md, generated from the zod schemas (a test keeps the file in sync). */
export function renderConfigurationReference(): string {
  const orchestratorEnv: Record<string, string> = { api_tokens: "LLORCH_API_TOKEN, LLORCH_API_TOKENS" };
  for (const [env, key] of Object.entries(ORCHESTRATOR_ENV_KEYS)) orchestratorEnv[key] = env;
  const workerEnv: Record<string, string> = {};
  for (const [env, key] of WORKER_ENV_KEYS) workerEnv[key] = workerEnv[key] ? `${workerEnv[key]}\`, \`${env}` : env;
  return [
    "# Configuration reference",
    "",
    "Generated from the zod schemas in `src-shared/config/` by `npm run docs:config`; a test fails when this file",
    "and the schemas disagree. Precedence: environment variables > config file (`--config file.json`, keys as",
    "below) > defaults. Invalid values stop the program with a message naming the key. Nothing is ignored: a",
    "config file key that is not below stops it, naming the setting it most likely meant (exit 2); so does an",
    "environment variable under a prefix the program owns (`ORCHD_`, `ORCHESTRATORD_` for the orchestrator, except",
    "the worker's `ORCHESTRATORD_URL`; `POOL_MANAGERD_` for the worker) that is close to a setting below (a typo, or",
    "`_SECS` for `_MS`). One close to none (a setting of the original Rust llama-orch left in an env file) is named",
    "in a warning at start, and has no effect.",
    "",
    "## Orchestrator (`llama-orch`, the desktop app, `npm start`)",
    "",
    renderConfigTable(OrchestratorConfigSchema, orchestratorEnv),
    "",
    "### Settings changed from the dashboard",
    "",
    "`placement_strategy`, `admission_capacity`, `admission_policy`, `session_token_budget` and",
    "`staging_bandwidth_limit_bytes_per_s` can also be changed at run time (dashboard Settings, `PUT /v2/settings`);",
    "such a change is stored in the database and applies again after a restart. Precedence:",
    "**environment > config file > dashboard setting**. A key set in the environment or the config file is",
    "*pinned*: a value stored from the dashboard earlier is ignored (the orchestrator logs a warning naming the key",
    "at start), `PUT /v2/settings` of that key answers 409 `CONFLICT` naming the variable, `GET /v2/settings` lists",
    "it in `pinned` (`[{\"key\": \"admission_capacity\", \"source\": \"env ORCHD_ADMISSION_CAPACITY\"}]`) and the",
    "dashboard shows it read-only. Unset the variable (or remove the file key) to manage it from the dashboard again.",
    "",
    "`PUT /v2/settings` takes what `GET /v2/settings` gave back with any keys changed: the read-only facts",
    "(`profile`, `bind_addr`, `pinned`) and a pinned key sent with the value GET shows change nothing; another value",
    "of a read-only fact is 400 `INVALID_PARAMS` naming it, of a pinned key 409 as above, and a key settings do not",
    "have is 400.",
    "",
    "Command-line flags of the headless entry: `--config`, `--bind`, `--data-dir`, `--home` (also run a worker on",
    "this machine), `--models-dir` (its models folder).",
    "",
    "## Worker agent (`llama-orch-worker`)",
    "",
    renderConfigTable(WorkerConfigSchema, workerEnv),
    "",
    "Flags mirror the keys (`llama-orch-worker --help`); `--pool id=…,model=…[,slots=N][,device=cpu|auto|N][,context_size=N][,engine=node-llama-cpp|llama-server]`",
    "defines pools (repeatable; env `POOL_MANAGERD_POOLS`, `;`-separated), `--api-token-file` / `LLORCH_API_TOKEN_FILE`",
    "reads the token from a file. See [WORKER.md](WORKER.md).",
    "",
  ].join("\n");
}
