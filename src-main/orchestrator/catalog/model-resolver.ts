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
}

export type ResolveResult = { ok: true; model: ResolvedModel } | { ok: false; code: "INVALID_PARAMS" | "MODEL_NOT_FOUND"; message: string };

/**
 * The alias rule (src-shared/models/model-id.ts): a model's id is its name (GGUF general.name, else
 * the file name without .gguf); when different models (different sha256) share a name, each gets
 * `name@<first 12 hex of its sha256>`. Several files with one sha256 are one model.
 */
export function modelIds(models: Iterable<{ sha256: string; name: string }>): Map<string, string> {
  return new Map([...modelIdRules(models)].map(([sha, rule]) => [sha, rule.id]));
}

/** Unique ids for every model in the inventory, sorted by id. */
export function listClusterModels(inventory: Iterable<ModelInventoryEntry>): ResolvedModel[] {
  const bySha = new Map<string, ModelInventoryEntry>();
  for (const m of inventory) if (!bySha.has(m.sha256)) bySha.set(m.sha256, m);
  const ids = modelIds(bySha.values());
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
 * Resolves a `model_ref` / OpenAI `model` to a model some node reports: `sha256:<hex>`, a listed id,
 * a unique name, or a `file:`/`hf:` reference whose file name a node holds.
 */
export function resolveModel(ref: string, models: readonly ResolvedModel[]): ResolveResult {
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
      found = byName(r.name);
      // Ollama's default tag: clients that learned the name from /api/tags or Ollama itself send `<name>:latest` to every surface.
      if (found.length === 0 && r.name.endsWith(":latest")) found = byName(r.name.slice(0, -":latest".length));
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
