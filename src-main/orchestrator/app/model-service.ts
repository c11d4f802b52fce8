import type { CatalogEntry, CatalogModelV2 } from "../../../src-shared/catalog/catalog-model.js";
import type { CatalogModelView } from "../../../src-shared/catalog/catalog-view.js";
import { OrchError } from "../../../src-shared/errors/orch-error.js";
import type { StageModelRequest, StageModelResponse, StagingJob, StagingJobListQuery } from "../../../src-shared/staging/staging-job.js";
import { buildAvailability } from "../catalog/availability.js";
import { findCatalogView } from "../catalog/catalog-views.js";
import { resolveModel, type AliasTable, type ResolveResult, type ResolvedModel } from "../catalog/model-resolver.js";
import type { AuditLog } from "../db/audit-log.js";
import type { CatalogStore } from "../db/catalog-store.js";
import type { NodeRegistry } from "../registry/node-registry.js";
import type { StagingService } from "../staging/staging-service.js";

export interface ModelServiceDeps {
  registry: NodeRegistry;
  records: CatalogStore;
  staging: StagingService;
  audit: AuditLog;
  /** Every model some node reports, with unique ids. */
  clusterModels: () => ResolvedModel[];
  /** Operator aliases (name → sha256). */
  modelAliases: () => AliasTable;
  /** The catalog by sha256 with per-node state. */
  catalogViews: () => CatalogModelView[];
  /** The catalog by sha256 without per-node state (names and sizes). */
  catalogFacts: () => CatalogModelView[];
  /** Removes a model from the orchestrator's own store; false when it does not hold it. */
  removeFromStore: (sha256: string) => Promise<boolean>;
}

/**
 * The models area: the models the cluster can serve (by id), the catalog by sha256, the operator's
 * catalog records (lifecycle, trust) and staging models between nodes.
 */
export class ModelService {
  constructor(private readonly deps: ModelServiceDeps) {}

  /** Every model some node reports, with unique ids (what /v1/models lists). */
  servable(): ResolvedModel[] {
    return this.deps.clusterModels();
  }

  /** Operator aliases (name → sha256): what every surface passes to the resolver. */
  aliasTable(): AliasTable {
    return this.deps.modelAliases();
  }

  /** A requested model name (an id, a name, sha256:<hex>, an operator alias) to a served model. */
  resolve(ref: string): ResolveResult {
    return resolveModel(ref, this.servable(), this.deps.modelAliases());
  }

  views(): CatalogModelView[] {
    return this.deps.catalogViews();
  }

  view(id: string): CatalogModelView {
    const view = findCatalogView(this.deps.catalogViews(), id);
    if (!view) throw new OrchError("MODEL_NOT_FOUND", `no catalog model ${id}`);
    return view;
  }

  availability() {
    const facts = new Map(this.deps.catalogFacts().flatMap((v) => (v.sha256 !== null && v.name !== null && v.size_bytes !== null ? [[v.sha256, { name: v.name, size_bytes: v.size_bytes }] as const] : [])));
    return buildAvailability(this.deps.registry.list(), facts);
  }

  createRecord(req: CatalogModelV2, actor: string): CatalogEntry {
    if (this.deps.records.get(req.id)) throw new OrchError("CONFLICT", `catalog model ${req.id} exists`);
    const [algo, value] = req.digest.split(":") as [string, string];
    // A record's id is one more name of its model: it may not be another model's (a state change or DELETE
    // by that name then reached the record's model, or both), and one model has at most one record.
    const views = this.deps.catalogViews();
    const digest = value.toLowerCase();
    if (req.id.toLowerCase().startsWith("sha256:")) throw new OrchError("INVALID_PARAMS", `id: a record id cannot be a sha256 reference (sha256:<hex> always names the model with that digest); name the record, e.g. "${req.name ?? "my-model"}"`);
    const shadowed = views.find((v) => v.sha256 !== digest && (v.id === req.id || v.names.includes(req.id)));
    if (shadowed !== undefined) throw new OrchError("CONFLICT", `"${req.id}" already names model ${shadowed.sha256 !== null ? `sha256:${shadowed.sha256}` : shadowed.id}; a record id cannot be another model's name`);
    const existing = this.deps.records.list().find((r) => r.digest?.value === digest);
    if (existing !== undefined) throw new OrchError("CONFLICT", `model sha256:${digest} already has the catalog record ${existing.id}; change it (POST /v2/catalog/models/${existing.id}/state) or delete it first`);
    if (req.trust_policy?.mode === "strict" && req.trust_policy.require_signature && !(req.signatures ?? []).some((s) => s.verified)) {
      throw new OrchError("UNTRUSTED_ARTIFACT", "strict trust policy requires a verified signature");
    }
    const known = this.servable().find((m) => m.sha256 === value.toLowerCase());
    const entry: CatalogEntry = {
      id: req.id,
      name: req.name ?? known?.id ?? null,
      local_path: null,
      lifecycle: "Active",
      digest: { algo, value: value.toLowerCase() },
      size_bytes: req.manifests?.[0]?.size_bytes ?? known?.size_bytes ?? null,
      last_verified_ms: null,
    };
    this.deps.records.put(entry);
    this.audit(actor, "catalog_model_created", req.id);
    return entry;
  }

  /**
   * DELETE /v2/catalog/models/{id}: the operator's record with that id, and the model's file in the
   * orchestrator's store (an upload, import, pull or in-place link). Copies on nodes stay (remove
   * them per node). Before, a store model could not be removed at all: a wrong or junk upload stayed
   * on the orchestrator's disk and in the catalog for good.
   */
  async deleteRecord(id: string, actor: string): Promise<void> {
    // The digest first: a record's id names its model only while the record exists.
    const sha = findCatalogView(this.deps.catalogViews(), id)?.sha256 ?? null;
    const recorded = this.deps.records.delete(id);
    const stored = sha !== null && (await this.deps.removeFromStore(sha));
    if (!recorded && !stored) throw new OrchError("MODEL_NOT_FOUND", `no catalog record or store model ${id} (models on workers only are removed per node: DELETE /v2/catalog/models/{id}/nodes/{node_id})`);
    if (recorded) this.audit(actor, "catalog_model_deleted", id);
    if (stored) this.audit(actor, "model_removed_from_store", sha);
  }

  /** Workers hash every file they serve: a digest some online node reports is verified now. */
  verifyRecord(id: string): CatalogEntry {
    const entry = this.record(id);
    const verified = entry.digest !== null && this.servable().some((m) => m.sha256 === entry.digest?.value);
    const updated: CatalogEntry = { ...entry, last_verified_ms: verified ? Date.now() : entry.last_verified_ms };
    if (this.deps.records.get(entry.id)) this.deps.records.put(updated);
    return updated;
  }

  setLifecycle(id: string, state: CatalogEntry["lifecycle"], actor: string): CatalogEntry {
    const updated: CatalogEntry = { ...this.record(id), lifecycle: state };
    this.deps.records.put(updated);
    this.audit(actor, "catalog_model_state", updated.id, { state });
    return updated;
  }

  stage(id: string, request: StageModelRequest, actor: string): StageModelResponse {
    const sha256 = this.shaOf(id);
    const response = this.deps.staging.stage(sha256, request);
    this.audit(actor, "model_staged", sha256, { jobs: response.jobs.map((j) => j.job_id), already_present: response.already_present, ...(request.then !== undefined ? { then: request.then } : {}) });
    return response;
  }

  async removeFromNode(id: string, nodeId: string, actor: string): Promise<void> {
    const sha256 = this.shaOf(id);
    await this.deps.staging.removeFromNode(sha256, nodeId);
    this.audit(actor, "model_removed_from_node", sha256, { node_id: nodeId });
  }

  jobs(query: StagingJobListQuery): StagingJob[] {
    return this.deps.staging.list(query);
  }

  job(jobId: string): StagingJob {
    return this.deps.staging.get(jobId);
  }

  async cancelJob(jobId: string, actor: string): Promise<StagingJob> {
    const job = await this.deps.staging.cancel(jobId);
    this.audit(actor, "staging_job_canceled", job.job_id, { sha256: job.sha256, node_id: job.target_node_id });
    return job;
  }

  /** An operator record, or a catalog entry for a model discovered on workers. */
  private record(id: string): CatalogEntry {
    const stored = this.deps.records.get(id);
    if (stored) return stored;
    const sha = id.startsWith("sha256:") ? id.slice(7) : id;
    const m = this.servable().find((x) => x.sha256 === sha || x.id === id);
    if (m === undefined) throw new OrchError("MODEL_NOT_FOUND", `no catalog model ${id}`);
    return { id: `sha256:${m.sha256}`, name: m.id, local_path: null, lifecycle: "Active", digest: { algo: "sha256", value: m.sha256 }, size_bytes: m.size_bytes, last_verified_ms: null };
  }

  private shaOf(id: string): string {
    const sha = findCatalogView(this.deps.catalogViews(), id)?.sha256 ?? null;
    if (sha === null) throw new OrchError("MODEL_NOT_FOUND", `no model "${id}" is known by sha256; GET /v2/catalog/models lists them`);
    return sha;
  }

  private audit(actor: string, action: string, target: string, details?: Record<string, unknown>): void {
    this.deps.audit.record({ at_ms: Date.now(), identity: actor, action, target, outcome: "success", ...(details ? { details } : {}) });
  }
}
