import type { ModelInventoryEntry } from "../../../src-shared/models/model-inventory.js";
import type { Workload } from "../../../src-shared/tasks/task-request.js";
import { ALIAS_SHA_PREFIX, modelIdRules } from "../../../src-shared/models/model-id.js";
import { parseModelRef } from "../../../src-shared/models/model-ref.js";

/** A model known to the cluster, with the id /v1/models lists for it. */
export interface ResolvedModel {
  /** Friendly id: the model's name, or name@<sha prefix> where two models share a name. */
  id: string;
  sha256: string;
  name: string;
  file_name: string;
  size_bytes: number;
  context_length?: number | undefined;
  has_chat_template: boolean;
  /** Fill-in-the-middle tokens (a completion with a suffix is served); undefined: an older worker did not say. */
  fill_in_middle?: boolean | undefined;
  architecture?: string | undefined;
  quantization?: string | undefined;
  parameter_count?: number | undefined;
  /** What the model serves (model-workloads.ts); undefined: an older worker did not say, every workload is tried. */
  workloads?: Workload[] | undefined;
  /** The operator alias the request named (set only on a resolution through one): the id answers echo. */
  alias?: string | undefined;
}

/** Operator aliases: name → sha256 (db/model-alias-store.ts). */
export type AliasTable = ReadonlyMap<string, string>;

/** The id an answer's `model` field echoes: the alias the client named, else the model's listed id. */
export function echoedModelId(m: Pick<ResolvedModel, "id" | "alias">): string {
  return m.alias ?? m.id;
}

/** `alias`: the request named an operator alias whose model no node serves. */
export type ResolveResult = { ok: true; model: ResolvedModel } | { ok: false; code: "INVALID_PARAMS" | "MODEL_NOT_FOUND"; message: string; alias?: { name: string; sha256: string } };

/**
 * The alias rule (src-shared/models/model-id.ts): a model's id is its name (GGUF general.name, else
 * the file name without .gguf); when different models (different sha256) share a name, each gets
 * `name@<first 12 hex of its sha256>`. Several files with one sha256 are one model.
 */
export function modelIds(models: Iterable<{ sha256: string; name: string }>, reserved?: AliasTable): Map<string, string> {
  return new Map([...modelIdRules(models, reserved)].map(([sha, rule]) => [sha, rule.id]));
}

/**
 * Unique ids for every model in the inventory, sorted by id. A model whose name an operator alias
 * already has (it arrived after the alias was made) is listed as `name@<sha prefix>`: the alias keeps the name.
 */
export function listClusterModels(inventory: Iterable<ModelInventoryEntry>, aliases?: AliasTable): ResolvedModel[] {
  const bySha = new Map<string, ModelInventoryEntry>();
  for (const m of inventory) if (!bySha.has(m.sha256)) bySha.set(m.sha256, m);
  const ids = modelIds(bySha.values(), aliases);
  return [...bySha.values()]
    .map((m) => ({
      id: ids.get(m.sha256) ?? m.name,
      sha256: m.sha256,
      name: m.name,
      file_name: m.file_name,
      size_bytes: m.size_bytes,
      context_length: m.context_length,
      has_chat_template: m.has_chat_template,
      fill_in_middle: m.fill_in_middle,
      architecture: m.architecture,
      quantization: m.quantization,
      parameter_count: m.parameter_count,
      workloads: m.workloads,
    }))
    .sort((a, b) => a.id.localeCompare(b.id));
}

/**
 * The models plus one entry per operator alias whose target a node serves (the target's facts, `alias`
 * set), sorted by listed id: what model pickers see (/v1/models, /api/tags). An alias of a model no node
 * serves is not listed (GET /v2/catalog/aliases shows it as unavailable).
 */
export function withAliasEntries(models: readonly ResolvedModel[], aliases: AliasTable): readonly ResolvedModel[] {
  if (aliases.size === 0) return models;
  // The model list and the alias table are the same objects until either changes: /api/tags, /api/ps and
  // Anthropic's list reuse the entries (1,000 of them took ~4 ms to build on a loaded 2-core box).
  const cached = listed.get(models);
  if (cached?.aliases === aliases) return cached.entries;
  const bySha = new Map(models.map((m) => [m.sha256, m]));
  const entries = [...aliases].flatMap(([name, sha]) => {
    const target = bySha.get(sha);
    return target === undefined ? [] : [{ ...target, alias: name }];
  });
  const all = [...models, ...entries].sort((a, b) => echoedModelId(a).localeCompare(echoedModelId(b)));
  listed.set(models, { aliases, entries: all });
  return all;
}

const listed = new WeakMap<readonly ResolvedModel[], { aliases: AliasTable; entries: readonly ResolvedModel[] }>();

/**
 * Resolves a `model_ref` / OpenAI `model` to a model some node reports: `sha256:<hex>`, an operator
 * alias, a listed id, a unique name, or a `file:`/`hf:` reference whose file name a node holds.
 * An alias comes first: creating one with a name a model has is refused (409), so this order only
 * decides for a model that arrives later with the alias's name (it is listed as `name@<sha prefix>`).
 */
export function resolveModel(ref: string, models: readonly ResolvedModel[], aliases?: AliasTable): ResolveResult {
  const parsed = parseModelRef(ref);
  if (!parsed.ok) return { ok: false, code: "INVALID_PARAMS", message: `model: ${parsed.error}` };
  const r = parsed.ref;
  let found: ResolvedModel[] = [];
  switch (r.kind) {
    case "sha256":
      found = models.filter((m) => m.sha256 === r.sha256);
      break;
    case "name": {
      const byName = (name: string): ResolvedModel[] => {
        const exact = models.filter((m) => m.id === name);
        if (exact.length > 0) return exact;
        const named = models.filter((m) => m.name === name || m.file_name === name || m.file_name === `${name}.gguf`);
        return named.length > 0 ? named : byAlias(name, models);
      };
      const bare = r.name.endsWith(":latest") ? r.name.slice(0, -":latest".length) : null;
      const alias = viaAlias(r.name, models, aliases);
      if (alias !== null) return alias;
      found = byName(r.name);
      // Ollama's default tag: clients that learned the name from /api/tags or Ollama itself send `<name>:latest` to every surface.
      if (found.length === 0 && bare !== null) {
        const bareAlias = viaAlias(bare, models, aliases);
        if (bareAlias !== null) return bareAlias;
        found = byName(bare);
      }
      break;
    }
    case "file":
      found = models.filter((m) => m.file_name === basename(r.path));
      break;
    case "hf":
      found = r.path === undefined ? [] : models.filter((m) => m.file_name === basename(r.path ?? ""));
      break;
  }
  if (found.length === 1) return { ok: true, model: found[0] as ResolvedModel };
  if (found.length > 1) {
    return { ok: false, code: "INVALID_PARAMS", message: `model "${ref}" is ambiguous; use one of ${found.map((m) => m.id).join(", ")}` };
  }
  return { ok: false, code: "MODEL_NOT_FOUND", message: `no node reports a model "${ref}"; GET /v1/models lists the models in the cluster` };
}

/** An operator alias: its target when a node serves it, else why the alias serves nothing now. */
function viaAlias(name: string, models: readonly ResolvedModel[], aliases: AliasTable | undefined): ResolveResult | null {
  const sha = aliases?.get(name);
  if (sha === undefined) return null;
  const model = models.find((m) => m.sha256 === sha);
  if (model === undefined) return { ok: false, code: "MODEL_NOT_FOUND", message: `model "${name}" is an alias of sha256:${sha}, which no online node serves; stage that model to a node, or point the alias at another model (POST /v2/catalog/aliases)`, alias: { name, sha256: sha } };
  return { ok: true, model: { ...model, alias: name } };
}

const ALIAS = new RegExp(`^(.+)@([0-9a-f]{${ALIAS_SHA_PREFIX},64})$`);

/**
 * `name@<sha256 prefix>` for a model that is not (or no longer) ambiguous among the models nodes serve:
 * the catalog (GET /v2/catalog/models) names models over everything the cluster has seen, the
 * orchestrator's store included, so it may list `name@…` where /v1/models lists `name` (a second
 * file with the same general.name only uploaded, or gone from its node), and a client that saved an
 * alias while two models shared the name keeps working once one is removed. Before, such a name was
 * "no node reports a model".
 */
function byAlias(ref: string, models: readonly ResolvedModel[]): ResolvedModel[] {
  const m = ALIAS.exec(ref);
  if (m === null) return [];
  const [, name, prefix] = m as unknown as [string, string, string];
  return models.filter((model) => model.sha256.startsWith(prefix) && (model.name === name || model.file_name === `${name}.gguf`));
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}
