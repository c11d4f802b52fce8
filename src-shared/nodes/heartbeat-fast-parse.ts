import { SAFE_ID_PATTERN } from "../common/ids.js";
import { SHA256_HEX_PATTERN } from "../models/sha256.js";
import { PoolStateSchema } from "../worker-api/pool-status.js";
import type { GpuTelemetry, HostTelemetry } from "./host-telemetry.js";
import { HeartbeatRequestSchema, type HeartbeatRequest } from "./heartbeat.js";
import type { PoolSnapshot } from "./pool-snapshot.js";

/**
 * A hand check of the heartbeat body the agents send every beat (timestamp, pool snapshots, the
 * latest telemetry sample), beside HeartbeatRequestSchema: at 500 heartbeats/s zod's walk was a few
 * per cent of the orchestrator's CPU (docs/PERFORMANCE.md, "Eighth heartbeat pass").
 *
 * It returns exactly what `HeartbeatRequestSchema.parse` returns (a copy in the schema's key order,
 * optional keys only when sent) for the bodies it is sure of, and undefined for anything else:
 * a key the check does not know (zod would strip it, and it could hide a `__proto__` or a nesting
 * the request's shape check refuses), `models` or `quarantined` (sent only on change), more pools
 * than MAX_POOLS, any value outside its schema. Undefined means "let the schema decide", so a bad
 * body gets the very same 400 as before. src-node/heartbeat-fast-parse.test.ts holds both paths to
 * the same outcome on well-formed, hostile and randomly mutated bodies. The fields and bounds below
 * mirror HeartbeatRequestSchema, PoolSnapshotSchema and HostTelemetrySchema: change them together
 * (that test lists the schemas' keys, so an added field fails it).
 */
export function parseHeartbeatFast(value: unknown): HeartbeatRequest | undefined {
  if (!isPlainRecord(value)) return undefined;
  let timestamp: string | undefined;
  let pools: PoolSnapshot[] | undefined;
  let telemetry: HostTelemetry | undefined;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) return undefined;
    const v = value[key];
    if (key === "timestamp") {
      if (typeof v !== "string" || DATETIME === null || !DATETIME.test(v)) return undefined;
      timestamp = v;
    } else if (key === "pools") {
      if (!Array.isArray(v) || v.length > MAX_POOLS) return undefined;
      pools = [];
      // Each pool id once, as nodePoolList requires (a repeat goes to the schema, which names it).
      const ids = new Set<string>();
      for (let i = 0; i < v.length; i++) {
        const pool = poolSnapshot(v[i] as unknown);
        if (pool === undefined || ids.has(pool.pool_id)) return undefined;
        ids.add(pool.pool_id);
        pools.push(pool);
      }
    } else if (key === "telemetry") {
      telemetry = hostTelemetry(v);
      if (telemetry === undefined) return undefined;
    } else return undefined;
  }
  if (timestamp === undefined || pools === undefined) return undefined;
  return telemetry === undefined ? { timestamp, pools } : { timestamp, pools, telemetry };
}

/** Pools per heartbeat the hand check takes; a node with more is checked by the schema (rare, and linear either way). */
export const MAX_POOLS = 64;

// The timestamp's check is zod's own pattern, taken from the schema, so the two cannot disagree;
// if zod ever stops exposing it there, every body goes to the schema.
const timestampSchema = HeartbeatRequestSchema.shape.timestamp as unknown as { _zod?: { def?: { pattern?: unknown } } };
const datetimePattern = timestampSchema._zod?.def?.pattern;
const DATETIME: RegExp | null = datetimePattern instanceof RegExp && !datetimePattern.global && !datetimePattern.sticky ? datetimePattern : null;

const POOL_STATES: ReadonlySet<unknown> = new Set(PoolStateSchema.options);

type Rec = Record<string, unknown>;

/** An object as JSON.parse makes it (not an array, not null); its own enumerable keys are what the checks walk. */
function isPlainRecord(v: unknown): v is Rec {
  return typeof v === "object" && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}

/** z.int() with its bounds (a safe integer). */
function isInt(v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= min && v <= max;
}

/** z.number() with its bounds (finite). */
function isNum(v: unknown, min: number, max = Infinity): v is number {
  return typeof v === "number" && Number.isFinite(v) && v >= min && v <= max;
}

function isStr(v: unknown, min = 0, max = Infinity): v is string {
  return typeof v === "string" && v.length >= min && v.length <= max;
}

function poolSnapshot(v: unknown): PoolSnapshot | undefined {
  if (!isPlainRecord(v)) return undefined;
  for (const key in v) if (!Object.hasOwn(v, key) || !POOL_KEYS.has(key)) return undefined;
  const { pool_id, ready, draining, slots_free, slots_total, vram_free_bytes, engine, models_available } = v;
  if (!isStr(pool_id) || !SAFE_ID_PATTERN.test(pool_id)) return undefined;
  if (typeof ready !== "boolean" || typeof draining !== "boolean") return undefined;
  if (!isInt(slots_free, 0) || !isInt(slots_total, 0) || !isInt(vram_free_bytes, 0) || !isStr(engine)) return undefined;
  const hasVersion = Object.hasOwn(v, "engine_version");
  if (hasVersion && !isStr(v["engine_version"])) return undefined;
  const hasMask = Object.hasOwn(v, "device_mask");
  if (hasMask && !isStr(v["device_mask"])) return undefined;
  if (!Array.isArray(models_available)) return undefined;
  const shas: string[] = [];
  for (let i = 0; i < models_available.length; i++) {
    const sha = models_available[i] as unknown;
    if (!isStr(sha) || !SHA256_HEX_PATTERN.test(sha)) return undefined;
    shas.push(sha);
  }
  let loaded: { sha256: string; name: string } | undefined;
  if (Object.hasOwn(v, "model")) {
    const model = v["model"];
    if (!isPlainRecord(model)) return undefined;
    for (const key in model) if (!Object.hasOwn(model, key) || (key !== "sha256" && key !== "name")) return undefined;
    const { sha256, name } = model;
    if (!isStr(sha256) || !SHA256_HEX_PATTERN.test(sha256) || !isStr(name)) return undefined;
    loaded = { sha256, name };
  }
  const hasError = Object.hasOwn(v, "last_error");
  if (hasError && v["last_error"] !== null && !isStr(v["last_error"])) return undefined;
  const hasState = Object.hasOwn(v, "state");
  if (hasState && !POOL_STATES.has(v["state"])) return undefined;
  const hasTps = Object.hasOwn(v, "tokens_per_second");
  if (hasTps && !isNum(v["tokens_per_second"], 0)) return undefined;
  // Built in the schema's key order, as zod's copy is; optional keys only when sent.
  const out: PoolSnapshot = { pool_id, ready, draining, slots_free, slots_total, vram_free_bytes, engine } as PoolSnapshot;
  if (hasVersion) out.engine_version = v["engine_version"] as string;
  if (hasMask) out.device_mask = v["device_mask"] as string;
  out.models_available = shas;
  if (loaded !== undefined) out.model = loaded;
  if (hasError) out.last_error = v["last_error"] as string | null;
  if (hasState) out.state = v["state"] as PoolSnapshot["state"];
  if (hasTps) out.tokens_per_second = v["tokens_per_second"] as number;
  return out;
}

const POOL_KEYS: ReadonlySet<string> = new Set(["pool_id", "ready", "draining", "slots_free", "slots_total", "vram_free_bytes", "engine", "engine_version", "device_mask", "models_available", "model", "last_error", "state", "tokens_per_second"]);
const TELEMETRY_KEYS: ReadonlySet<string> = new Set(["sampled_at_ms", "cpu_utilization_ratio", "cpus", "load1", "memory_total_bytes", "memory_available_bytes", "gpus"]);
const GPU_KEYS: ReadonlySet<string> = new Set(["gpu", "name", "uuid", "utilization_ratio", "memory_total_bytes", "memory_used_bytes", "temperature_celsius", "power_watts", "power_limit_watts"]);

/** Every key known and all of them present (the telemetry's keys are all required). */
function exactlyKeys(v: Rec, keys: ReadonlySet<string>): boolean {
  let n = 0;
  for (const key in v) {
    if (!Object.hasOwn(v, key) || !keys.has(key)) return false;
    n++;
  }
  return n === keys.size;
}

function hostTelemetry(v: unknown): HostTelemetry | undefined {
  if (!isPlainRecord(v) || !exactlyKeys(v, TELEMETRY_KEYS)) return undefined;
  const { sampled_at_ms, cpu_utilization_ratio, cpus, load1, memory_total_bytes, memory_available_bytes, gpus } = v;
  if (!isInt(sampled_at_ms, 0) || !isNum(cpu_utilization_ratio, 0, 1) || !isInt(cpus, 1, 100_000) || !isNum(load1, 0)) return undefined;
  if (!isInt(memory_total_bytes, 0) || !isInt(memory_available_bytes, 0)) return undefined;
  if (!Array.isArray(gpus) || gpus.length > 64) return undefined;
  const outGpus: GpuTelemetry[] = [];
  for (let i = 0; i < gpus.length; i++) {
    const gpu = gpuTelemetry(gpus[i] as unknown);
    if (gpu === undefined) return undefined;
    outGpus.push(gpu);
  }
  return { sampled_at_ms, cpu_utilization_ratio, cpus, load1, memory_total_bytes, memory_available_bytes, gpus: outGpus };
}

function gpuTelemetry(v: unknown): GpuTelemetry | undefined {
  if (!isPlainRecord(v) || !exactlyKeys(v, GPU_KEYS)) return undefined;
  const { gpu, name, uuid, utilization_ratio, memory_total_bytes, memory_used_bytes, temperature_celsius, power_watts, power_limit_watts } = v;
  if (!isStr(gpu, 1, 64) || !isStr(name, 0, 128) || (uuid !== null && !isStr(uuid, 0, 128))) return undefined;
  if (utilization_ratio !== null && !isNum(utilization_ratio, 0, 1)) return undefined;
  if (memory_total_bytes !== null && !isInt(memory_total_bytes, 0)) return undefined;
  if (memory_used_bytes !== null && !isInt(memory_used_bytes, 0)) return undefined;
  if (temperature_celsius !== null && !isNum(temperature_celsius, -50, 200)) return undefined;
  if (power_watts !== null && !isNum(power_watts, 0)) return undefined;
  if (power_limit_watts !== null && !isNum(power_limit_watts, 0)) return undefined;
  return { gpu, name, uuid, utilization_ratio, memory_total_bytes, memory_used_bytes, temperature_celsius, power_watts, power_limit_watts };
}
