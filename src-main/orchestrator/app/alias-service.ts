import type { CatalogModelView } from "../../../src-shared/catalog/catalog-view.js";
import { OrchError } from "../../../src-shared/errors/orch-error.js";
import { MAX_MODEL_ALIASES, ModelAliasNameSchema, type AliasTargetResolution, type CreatedModelAlias, type ModelAlias, type ModelAliasList } from "../../../src-shared/models/model-alias.js";
import { parseModelRef } from "../../../src-shared/models/model-ref.js";
import { findCatalogView } from "../catalog/catalog-views.js";
import { resolveModel, type AliasTable, type ResolvedModel } from "../catalog/model-resolver.js";
import type { AuditLog } from "../db/audit-log.js";
import type { ModelAliasStore, StoredAlias } from "../db/model-alias-store.js";

export interface AliasServiceDeps {
  store: ModelAliasStore;
  audit: AuditLog;
  /** Every model some node serves, with unique ids. */
  clusterModels: () => ResolvedModel[];
  /** The catalog by sha256 without per-node state: every model the cluster has seen (names). */
  catalogFacts: () => CatalogModelView[];
  /** An alias was set or removed: the listed ids may change (a model named like an alias gets name@…). */
  changed: () => void;
  now?: () => number;
}

/**
 * Operator-defined model aliases (docs/MODEL_STAGING.md "Aliases"): a name → a model's sha256, so a
 * client that hard-codes "gpt-4o-mini" reaches a model the cluster serves, and repointing the alias
 * upgrades every such client at once. Targets are digests, so an alias of an alias is stored as the
 * digest it resolves to: cycles cannot exist.
 */
export class AliasService {
  constructor(private readonly deps: AliasServiceDeps) {}

  /** name → sha256 for the resolver (the same object until a change). */
  table(): AliasTable {
    return this.deps.store.nameTable();
  }

  list(): ModelAliasList {
    const served = this.servedIds();
    return { aliases: this.deps.store.list().map((a) => this.view(a, served)), limit: MAX_MODEL_ALIASES };
  }

  /** Creates the alias or repoints it; `created` says which (201 or 200). */
  set(name: string, target: string, actor: string): { created: boolean; alias: CreatedModelAlias } {
    const models = this.deps.clusterModels();
    const previous = this.deps.store.get(name);
    // A new alias only: one that exists keeps its name even if a model with that name arrived since (listed as name@…).
    const taken = previous === undefined ? this.modelNamed(name, models) : null;
    if (taken !== null) throw new OrchError("CONFLICT", `"${name}" is already the name of a model, or differs from one only in letter case (sha256:${taken}); an alias cannot shadow a model's name: choose another alias name, or use the model's name as it is`, { details: { name, sha256: taken } });
    if (previous === undefined && this.deps.store.size() >= MAX_MODEL_ALIASES) {
      throw new OrchError("CONFLICT", `the cluster already has ${MAX_MODEL_ALIASES} aliases, the most it keeps; delete one first (DELETE /v2/catalog/aliases/{name})`, { details: { limit: MAX_MODEL_ALIASES } });
    }
    const { sha256, via } = this.resolveTarget(target, models);
    const stored = this.deps.store.put(name, sha256, actor, this.now());
    this.deps.changed();
    const served = this.servedIds();
    const view = this.view(stored, served);
    const known = view.state === "available" || this.deps.catalogFacts().some((v) => v.sha256 === sha256);
    const warning = view.state === "available" ? undefined : known ? `no online node serves sha256:${sha256} now: requests for "${name}" fail with 404 until one does (stage it: POST /v2/catalog/models/sha256:${sha256}/stage)` : `the cluster has never seen a model with sha256:${sha256}: requests for "${name}" fail with 404 until a node serves it`;
    this.deps.audit.record({ at_ms: this.now(), identity: actor, action: previous === undefined ? "model_alias_created" : "model_alias_repointed", target: name, outcome: "success", details: { sha256, target, via, ...(previous !== undefined ? { replaced: previous.sha256 } : {}) } });
    return { created: previous === undefined, alias: { ...view, resolved_from: { target, via }, replaced: previous?.sha256 ?? null, ...(warning !== undefined ? { warning } : {}) } };
  }

  delete(rawName: string, actor: string): ModelAlias {
    const name = this.parseName(rawName);
    const stored = this.deps.store.get(name);
    if (stored === undefined) throw new OrchError("MODEL_NOT_FOUND", `no alias "${name}"; GET /v2/catalog/aliases lists them`);
    const view = this.view(stored, this.servedIds());
    this.deps.store.delete(name);
    this.deps.changed();
    this.deps.audit.record({ at_ms: this.now(), identity: actor, action: "model_alias_deleted", target: name, outcome: "success", details: { sha256: stored.sha256 } });
    return view;
  }

  /** The alias of that name (`:latest` removed, as stored), or undefined; a name no alias can have is undefined too. */
  get(rawName: string): StoredAlias | undefined {
    const parsed = ModelAliasNameSchema.safeParse(rawName);
    return parsed.success ? this.deps.store.get(parsed.data) : undefined;
  }

  /** A name as an alias name, or 400 saying why it cannot be one. */
  parseName(rawName: string): string {
    const parsed = ModelAliasNameSchema.safeParse(rawName);
    if (!parsed.success) throw new OrchError("INVALID_PARAMS", `alias name: ${parsed.error.issues.map((i) => i.message).join("; ")}`);
    return parsed.data;
  }

  /** The sha256 of a model some name already belongs to (served, or known to the catalog), or null. */
  private modelNamed(name: string, models: readonly ResolvedModel[]): string | null {
    const served = resolveModel(name, models);
    if (served.ok) return served.model.sha256;
    if (served.code === "INVALID_PARAMS") return models.find((m) => m.name === name)?.sha256 ?? "(several models)";
    const seen = this.deps.catalogFacts().find((v) => v.sha256 !== null && (v.name === name || v.names.includes(name)));
    if (seen?.sha256 != null) return seen.sha256;
    // A letter-case variant of a model's name would list beside it as a second model, easily taken for it.
    const folded = name.toLowerCase();
    const variant = models.find((m) => m.name.toLowerCase() === folded) ?? this.deps.catalogFacts().find((v) => v.sha256 !== null && [v.name, ...v.names].some((n) => n?.toLowerCase() === folded));
    return variant?.sha256 ?? null;
  }

  private resolveTarget(target: string, models: readonly ResolvedModel[]): { sha256: string; via: AliasTargetResolution } {
    const parsed = parseModelRef(target);
    if (parsed.ok && parsed.ref.kind === "sha256") return { sha256: parsed.ref.sha256, via: "sha256" };
    const served = resolveModel(target, models, this.table());
    if (served.ok) return { sha256: served.model.sha256, via: served.model.alias !== undefined ? "alias" : "model" };
    if (served.code === "INVALID_PARAMS") throw new OrchError("INVALID_PARAMS", `target: ${served.message}`);
    const seen = findCatalogView(this.deps.catalogFacts(), target);
    if (seen?.sha256 !== undefined && seen.sha256 !== null) return { sha256: seen.sha256, via: "catalog" };
    const alias = this.get(target);
    if (alias !== undefined) return { sha256: alias.sha256, via: "alias" };
    throw new OrchError("MODEL_NOT_FOUND", `target: no model "${target}" is known to the cluster; name one GET /v1/models or GET /v2/catalog/models lists, or give sha256:<hex> for a model not staged yet`);
  }

  private servedIds(): Map<string, string> {
    return new Map(this.deps.clusterModels().map((m) => [m.sha256, m.id]));
  }

  private view(a: StoredAlias, served: ReadonlyMap<string, string>): ModelAlias {
    const id = served.get(a.sha256) ?? null;
    return { name: a.name, sha256: a.sha256, target_id: id, state: id === null ? "unavailable" : "available", created_at_ms: a.created_at_ms, updated_at_ms: a.updated_at_ms, updated_by: a.updated_by };
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }
}
