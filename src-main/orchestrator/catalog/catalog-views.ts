import type { CatalogEntry } from "../../../src-shared/catalog/catalog-model.js";
import type { StoreModel } from "../../../src-shared/catalog/store-model.js";
import type { CatalogModelView, NodePlacement } from "../../../src-shared/catalog/catalog-view.js";
import { OrchError } from "../../../src-shared/errors/orch-error.js";
import { modelBaseName, modelIdRules, type ModelIdRule } from "../../../src-shared/models/model-id.js";
import { parseModelRef } from "../../../src-shared/models/model-ref.js";
import type { StagingJob } from "../../../src-shared/staging/staging-job.js";
import type { KnownModel, StoredPlacement } from "../db/known-model-store.js";

export interface CatalogViewInput {
  known: readonly KnownModel[];
  placements: readonly StoredPlacement[];
  /** Recent staging jobs, newest first. */
  jobs: readonly StagingJob[];
  /** Operator records (POST /v2/catalog/models). */
  records: readonly CatalogEntry[];
  /** Every node the registry knows: each gets a placement, `absent` when it has nothing. */
  nodeIds: readonly string[];
  /** Models in the orchestrator's own store. */
  store?: readonly StoreModel[];
  /** Operator alias names (name → sha256): reserved in the id rule, as listClusterModels reserves them. */
  aliases?: ReadonlyMap<string, string> | undefined;
}

/** A store model no node has reported yet, as the catalog keeps models. */
function knownFromStore(m: StoreModel): KnownModel {
  return { sha256: m.sha256, size_bytes: m.size_bytes, architecture: m.architecture, parameter_count: null, context_length: m.context_length, quantization: null, has_chat_template: m.has_chat_template, first_seen_ms: m.added_at_ms, updated_at_ms: m.added_at_ms, gguf_names: m.gguf_name !== null ? [m.gguf_name] : [], file_names: [m.file_name] };
}

const ACTIVE = new Set(["queued", "transferring", "verifying", "retrying"]);

/**
 * Placements and newest jobs by model then node: the views look each pair up once. Scanning every
 * placement and job per (model, node) pair was O(models × nodes × placements): 50 models on 1,000
 * nodes took 5.5 s, and 60,000 made-up models (one worker key's reports) 290 s of the one thread.
 */
interface PairIndex {
  placements: Map<string, Map<string, StoredPlacement>>;
  jobs: Map<string, Map<string, StagingJob>>;
}

function indexPairs(input: CatalogViewInput): PairIndex {
  const placements = new Map<string, Map<string, StoredPlacement>>();
  for (const p of input.placements) {
    const byNode = placements.get(p.sha256) ?? new Map<string, StoredPlacement>();
    if (!byNode.has(p.node_id)) byNode.set(p.node_id, p);
    placements.set(p.sha256, byNode);
  }
  const jobs = new Map<string, Map<string, StagingJob>>();
  // Newest first: the first job of a pair is the one its placement shows.
  for (const j of input.jobs) {
    const byNode = jobs.get(j.sha256) ?? new Map<string, StagingJob>();
    if (!byNode.has(j.target_node_id)) byNode.set(j.target_node_id, j);
    jobs.set(j.sha256, byNode);
  }
  return { placements, jobs };
}

function placementOf(nodeId: string, size: number, stored: StoredPlacement | undefined, job: StagingJob | undefined): NodePlacement {
  const base = { node_id: nodeId, file_names: stored?.file_names ?? [], job_id: job?.job_id ?? null };
  if (stored?.state === "verified") return { ...base, state: "verified", bytes: size, updated_at_ms: stored.updated_at_ms };
  if (job !== undefined && ACTIVE.has(job.state)) return { ...base, state: "staging", bytes: job.bytes_done, updated_at_ms: job.updated_at_ms };
  // A canceled job whose target could not be reached kept its part (bytes_done > 0); a removed part is 0.
  if ((job?.state === "failed" || job?.state === "canceled") && job.bytes_done > 0) return { ...base, state: "partial", bytes: job.bytes_done, updated_at_ms: job.updated_at_ms };
  return { ...base, file_names: [], state: "absent", bytes: 0, updated_at_ms: Math.max(stored?.updated_at_ms ?? 0, job?.updated_at_ms ?? 0) };
}

const ruleOf = (rule: ModelIdRule | undefined) => (rule === undefined ? null : { base: rule.base, alias: rule.alias });

/**
 * The catalog as GET /v2/catalog/models shows it: every model by sha256 (what workers reported,
 * plus staging jobs) merged with operator records, with per-node state. Records whose digest no
 * node reports are listed too, without GGUF facts.
 */
export function buildCatalogViews(input: CatalogViewInput): CatalogModelView[] {
  const stored = new Set((input.store ?? []).map((m) => m.sha256));
  const seen = new Set(input.known.map((m) => m.sha256));
  const known = [...input.known, ...(input.store ?? []).filter((m) => !seen.has(m.sha256)).map(knownFromStore)];
  const rules = modelIdRules(known.map((m) => ({ sha256: m.sha256, ...modelBaseName(m.gguf_names[0], m.file_names[0] ?? m.sha256.slice(0, 12)) })), input.aliases);
  const ids = new Map([...rules].map(([sha, rule]) => [sha, rule.id]));
  const records = new Map<string, CatalogEntry>();
  for (const r of input.records) if (r.digest?.algo === "sha256" && !records.has(r.digest.value)) records.set(r.digest.value, r);
  const pairs = indexPairs(input);
  const registered = new Set(input.nodeIds);
  const sortedNodeIds = [...registered].sort();
  const views: CatalogModelView[] = known.map((m) => {
    const record = records.get(m.sha256);
    const placed = pairs.placements.get(m.sha256);
    const jobs = pairs.jobs.get(m.sha256);
    // Nodes no longer registered that still have a placement of this model are listed too.
    const gone = placed === undefined ? [] : [...placed.keys()].filter((id) => !registered.has(id));
    const nodeIds = gone.length === 0 ? sortedNodeIds : [...sortedNodeIds, ...gone].sort();
    return {
      id: record?.id ?? `sha256:${m.sha256}`,
      name: record?.name ?? ids.get(m.sha256) ?? null,
      local_path: record?.local_path ?? null,
      lifecycle: record?.lifecycle ?? "Active",
      digest: { algo: "sha256", value: m.sha256 },
      size_bytes: m.size_bytes,
      last_verified_ms: record?.last_verified_ms ?? null,
      sha256: m.sha256,
      names: [...new Set([...(ids.has(m.sha256) ? [ids.get(m.sha256) as string] : []), ...m.gguf_names, ...m.file_names, ...(record ? [record.id] : [])])],
      id_rule: ruleOf(rules.get(m.sha256)),
      in_store: stored.has(m.sha256),
      gguf: { architecture: m.architecture, parameter_count: m.parameter_count, context_length: m.context_length, quantization: m.quantization, has_chat_template: m.has_chat_template },
      nodes: nodeIds.map((nodeId) => placementOf(nodeId, m.size_bytes, placed?.get(nodeId), jobs?.get(nodeId))),
    };
  });
  const knownShas = new Set(known.map((m) => m.sha256));
  for (const record of input.records) {
    if (record.digest?.algo === "sha256" && knownShas.has(record.digest.value)) continue;
    const sha = record.digest?.algo === "sha256" && /^[0-9a-f]{64}$/.test(record.digest.value) ? record.digest.value : null;
    views.push({ ...record, sha256: sha, names: [...new Set([record.id, ...(record.name ? [record.name] : [])])], id_rule: null, gguf: null, in_store: false, nodes: [] });
  }
  return views;
}

/**
 * Finds a model by sha256 (bare or sha256:), record id, listed id or any name it is known by. A name
 * several models share is refused (400 naming their ids), as the alias route and /v1 refuse it: the
 * first match was acted on, so a DELETE or stage by a shared GGUF name hit whichever model came first.
 */
export function findCatalogView(views: readonly CatalogModelView[], id: string): CatalogModelView | undefined {
  const parsed = parseModelRef(id);
  const sha = parsed.ok && parsed.ref.kind === "sha256" ? parsed.ref.sha256 : null;
  if (sha !== null) return views.find((v) => v.sha256 === sha);
  const listed = views.find((v) => v.id === id);
  if (listed !== undefined) return listed;
  const named = views.filter((v) => v.name === id || v.names.includes(id));
  const models = new Set(named.map((v) => v.sha256 ?? v.id));
  if (models.size > 1) {
    const ids = named.map((v) => v.id);
    throw new OrchError("INVALID_PARAMS", `"${id}" names ${models.size} models; use one of their ids: ${ids.slice(0, 10).join(", ")}${ids.length > 10 ? ", …" : ""} (GET /v2/catalog/models lists them)`, { details: { candidates: ids.slice(0, 50) } });
  }
  return named.find((v) => v.name === id) ?? named[0];
}
