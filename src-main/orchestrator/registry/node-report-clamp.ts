import type { ModelInventoryEntry } from "../../../src-shared/models/model-inventory.js";
import type { QuarantinedCopy } from "../../../src-shared/models/quarantined-copy.js";
import type { NodeCapabilities } from "../../../src-shared/nodes/gpu-capabilities.js";
import type { PoolSnapshot } from "../../../src-shared/nodes/pool-snapshot.js";

/**
 * What the registry keeps of a node's free-text report fields. The schemas leave these strings
 * unbounded (workers send engine errors and versions of their own making), and everything kept is
 * repeated in GET /v2/nodes, every dashboard snapshot and node frame: one `worker` key registering a
 * node with a 900 KB `version` (or a pool whose `last_error` is 900 KB, every heartbeat) made each
 * node list and dashboard frame megabytes larger (security adversary, 2026-11-30;
 * node-report-clamp.int.test.ts). Longer values are cut, not refused, so a real worker with a long
 * engine error keeps heartbeating.
 */
export const REPORT_TEXT_LIMITS = {
  version: 128,
  gpuName: 256,
  computeCapability: 32,
  engine: 64,
  engineVersion: 256,
  deviceMask: 256,
  lastError: 4096,
  modelName: 1024,
  fileName: 1024,
  architecture: 128,
  quantization: 64,
  quarantineReason: 1024,
} as const;
const MAX_GPUS = 64;
const MAX_MODELS_AVAILABLE = 1024;

const cut = (s: string, max: number): string => (s.length > max ? `${s.slice(0, max)}…` : s);
const cutOpt = (s: string | undefined, max: number): string | undefined => (s === undefined ? s : cut(s, max));

export function clampVersion(version: string | null | undefined): string | null {
  return version === undefined || version === null ? null : cut(version, REPORT_TEXT_LIMITS.version);
}

export function clampCapabilities(c: NodeCapabilities): NodeCapabilities {
  const long = c.gpus.length > MAX_GPUS || c.gpus.some((g) => g.name.length > REPORT_TEXT_LIMITS.gpuName || (g.compute_capability?.length ?? 0) > REPORT_TEXT_LIMITS.computeCapability);
  if (!long) return c;
  const gpus = c.gpus.slice(0, MAX_GPUS).map((g) => {
    const capability = cutOpt(g.compute_capability, REPORT_TEXT_LIMITS.computeCapability);
    return { ...g, name: cut(g.name, REPORT_TEXT_LIMITS.gpuName), ...(capability !== undefined ? { compute_capability: capability } : {}) };
  });
  return { ...c, gpus };
}

/** The pool as reported, or a copy with its long fields cut (the same object when nothing is long: heartbeats stay cheap). */
export function clampPool(p: PoolSnapshot): PoolSnapshot {
  const L = REPORT_TEXT_LIMITS;
  const long =
    p.engine.length > L.engine ||
    (p.engine_version?.length ?? 0) > L.engineVersion ||
    (p.device_mask?.length ?? 0) > L.deviceMask ||
    (p.last_error?.length ?? 0) > L.lastError ||
    (p.model?.name.length ?? 0) > L.modelName ||
    p.models_available.length > MAX_MODELS_AVAILABLE;
  if (!long) return p;
  const engineVersion = cutOpt(p.engine_version, L.engineVersion);
  const deviceMask = cutOpt(p.device_mask, L.deviceMask);
  return {
    ...p,
    engine: cut(p.engine, L.engine),
    ...(engineVersion !== undefined ? { engine_version: engineVersion } : {}),
    ...(deviceMask !== undefined ? { device_mask: deviceMask } : {}),
    ...(p.last_error !== undefined && p.last_error !== null ? { last_error: cut(p.last_error, L.lastError) } : {}),
    ...(p.model !== undefined ? { model: { ...p.model, name: cut(p.model.name, L.modelName) } } : {}),
    models_available: p.models_available.slice(0, MAX_MODELS_AVAILABLE),
  };
}

export function clampModels(models: readonly ModelInventoryEntry[]): ModelInventoryEntry[] {
  const L = REPORT_TEXT_LIMITS;
  return models.map((m) => {
    if (m.name.length <= L.modelName && m.file_name.length <= L.fileName && (m.architecture?.length ?? 0) <= L.architecture && (m.quantization?.length ?? 0) <= L.quantization) return m;
    const architecture = cutOpt(m.architecture, L.architecture);
    const quantization = cutOpt(m.quantization, L.quantization);
    return { ...m, name: cut(m.name, L.modelName), file_name: cut(m.file_name, L.fileName), ...(architecture !== undefined ? { architecture } : {}), ...(quantization !== undefined ? { quantization } : {}) };
  });
}

/**
 * A quarantined copy as it goes into a node event and a warn log line: each new one is a SQLite row
 * (kept among the newest 100,000), so a 250 KB reason under a fresh at_ms every beat grew the database
 * ~1 MB a beat and logged megabyte lines.
 */
export function clampQuarantined(copy: QuarantinedCopy): QuarantinedCopy {
  const L = REPORT_TEXT_LIMITS;
  if (copy.file_name.length <= L.fileName && copy.reason.length <= L.quarantineReason && (copy.moved_to?.length ?? 0) <= L.fileName) return copy;
  return { ...copy, file_name: cut(copy.file_name, L.fileName), reason: cut(copy.reason, L.quarantineReason), moved_to: copy.moved_to === null ? null : cut(copy.moved_to, L.fileName) };
}
