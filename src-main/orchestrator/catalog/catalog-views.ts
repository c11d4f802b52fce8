import type { CatalogEntry } from "../../../src-shared/catalog/catalog-model.js";
import type { StoreModel } from "../../../src-shared/catalog/store-model.js";
import type { CatalogModelView, NodePlacement } from "../../../src-shared/catalog/catalog-view.js";
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
}

/** A store model no node has reported yet, as the catalog keeps models. */
function knownFromStore(m: StoreModel): KnownModel {
  return { sha256: m.sha256, size_bytes: m.size_bytes, architecture: m.architecture, parameter_count: null, context_length: m.context_length, quantization: null, has_chat_template: m.has_chat_template, first_seen_ms: m.added_at_ms, updated_at_ms: m.added_at_ms, gguf_names: m.gguf_name !== null ? [m.gguf_name] : [], file_names: [m.file_name] };
}

const ACTIVE = new Set(["queued", "transferring", "verifying", "retrying"]);

/**
 * The inputs indexed once: looking each (model, node) pair up by scanning every placement and job was
 * O(models × nodes × placements), and 60,000 models (one worker key's reports) took 290 s of one thread.
 * First match wins, as the scans did (jobs come newest first).
 */
interface CatalogIndex {
  placements: Map<string, StoredPlacement>;
  placementsBySha: Map<string, StoredPlacement[]>;
  jobs: Map<string, StagingJob>;
  records: Map<string, CatalogEntry>;
}

function indexInput(input: CatalogViewInput): CatalogIndex {
  const index: CatalogIndex = { placements: new Map(), placementsBySha: new Map(), jobs: new Map(), records: new Map() };
  for (const p of input.placements) {
    const key = `${p.sha256}|${p.node_id}`;
    if (!index.placements.has(key)) index.placements.set(key, p);
    const list = index.placementsBySha.get(p.sha256);
    if (list === undefined) index.placementsBySha.set(p.sha256, [p]);
    else list.push(p);
  }
  for (const j of input.jobs) {
    const key = `${j.sha256}|${j.target_node_id}`;
    if (!index.jobs.has(key)) index.jobs.set(key, j);
  }
  for (const r of input.records) if (r.digest?.algo === "sha256" && !index.records.has(r.digest.value)) index.records.set(r.digest.value, r);
  return index;
}

function placementOf(sha256: string, nodeId: string, size: number, index: CatalogIndex): NodePlacement {
  const stored = index.placements.get(`${sha256}|${nodeId}`);
  const job = index.jobs.get(`${sha256}|${nodeId}`);
  const base = { node_id: nodeId, file_names: stored?.file_names ?? [], job_id: job?.job_id ?? null };
  if (stored?.state === "verified") return { ...base, state: "verified", bytes: size, updated_at_ms: stored.updated_at_ms };
  if (job !== undefined && ACTIVE.has(job.state)) return { ...base, state: "staging", bytes: job.bytes_done, updated_at_ms: job.updated_at_ms };
  if (job?.state === "failed" && job.bytes_done > 0) return { ...base, state: "partial", bytes: job.bytes_done, updated_at_ms: job.updated_at_ms };
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
  const rules = modelIdRules(known.map((m) => ({ sha256: m.sha256, ...modelBaseName(m.gguf_names[0], m.file_names[0] ?? m.sha256.slice(0, 12)) })));
  const ids = new Map([...rules].map(([sha, rule]) => [sha, rule.id]));
  const index = indexInput(input);
  const views: CatalogModelView[] = known.map((m) => {
    const record = index.records.get(m.sha256);
    const nodeIds = [...new Set([...input.nodeIds, ...(index.placementsBySha.get(m.sha256) ?? []).map((p) => p.node_id)])].sort();
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
      nodes: nodeIds.map((nodeId) => placementOf(m.sha256, nodeId, m.size_bytes, index)),
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

/** Finds a model by sha256 (bare or sha256:), record id, listed id or any name it is known by. */
export function findCatalogView(views: readonly CatalogModelView[], id: string): CatalogModelView | undefined {
  const parsed = parseModelRef(id);
  const sha = parsed.ok && parsed.ref.kind === "sha256" ? parsed.ref.sha256 : null;
  if (sha !== null) return views.find((v) => v.sha256 === sha);
  return views.find((v) => v.id === id) ?? views.find((v) => v.name === id) ?? views.find((v) => v.names.includes(id));
}
