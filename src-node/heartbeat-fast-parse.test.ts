import { describe, expect, it } from "vitest";
import { HeartbeatRequestSchema } from "../src-shared/nodes/heartbeat.js";
import { GpuTelemetrySchema, HostTelemetrySchema } from "../src-shared/nodes/host-telemetry.js";
import { PoolSnapshotSchema } from "../src-shared/nodes/pool-snapshot.js";
import { MAX_POOLS, parseHeartbeatFast } from "../src-shared/nodes/heartbeat-fast-parse.js";
import { OrchError } from "../src-shared/errors/orch-error.js";
import { parseBody, parsePart } from "./request-validation.js";

// The heartbeat's hand check (src-shared/nodes/heartbeat-fast-parse.ts) beside its schema: whatever the
// body, the route's body step (parseBody) must answer exactly as the schema alone (parsePart) does —
// the same parsed value (same keys in the same order) or the same 400 message and issues.

const SHA = "a".repeat(64);
const SHA2 = "0123456789abcdef".repeat(4);

/** What worker-agent's buildHeartbeat sends every beat: LlamaPool.snapshot() and TelemetrySampler.latest(). */
function agentBody(): Record<string, unknown> {
  return {
    timestamp: "2026-11-29T22:50:01.123Z",
    pools: [
      { pool_id: "node-a-p0", ready: true, draining: false, slots_free: 3, slots_total: 4, vram_free_bytes: 1_073_741_824, engine: "node-llama-cpp", device_mask: "0", models_available: [SHA], last_error: null, state: "ready", engine_version: "3.14.0", model: { sha256: SHA, name: "tiny" }, tokens_per_second: 41.5 },
    ],
    telemetry: {
      sampled_at_ms: 1_795_000_000_000,
      cpu_utilization_ratio: 0.125,
      cpus: 16,
      load1: 1.5,
      memory_total_bytes: 67_430_219_776,
      memory_available_bytes: 51_539_607_552,
      gpus: [{ gpu: "0", name: "NVIDIA GeForce RTX 4090", uuid: "GPU-1234", utilization_ratio: 0.5, memory_total_bytes: 25_757_220_864, memory_used_bytes: 20_401_094_656, temperature_celsius: 41, power_watts: 87.5, power_limit_watts: 450 }],
    },
  };
}

type Outcome = { ok: true; text: string; value: unknown } | { ok: false; code: string; envelope: unknown };

function outcome(parse: () => unknown): Outcome {
  try {
    const value = parse();
    return { ok: true, text: JSON.stringify(value), value };
  } catch (err) {
    if (!(err instanceof OrchError)) throw err;
    return { ok: false, code: err.code, envelope: err.envelope }; // the 400 envelope: code, message, issues
  }
}

/** Both paths on one body; returns whether the hand check was sure. */
function same(body: unknown): boolean {
  const withFast = outcome(() => parseBody(HeartbeatRequestSchema, parseHeartbeatFast, body));
  const schemaOnly = outcome(() => parsePart(HeartbeatRequestSchema, body, "body"));
  expect(withFast).toStrictEqual(schemaOnly);
  return parseHeartbeatFast(body) !== undefined;
}

const clone = <T>(v: T): T => structuredClone(v);

describe("heartbeat hand check beside the schema", () => {
  it("knows the schemas it mirrors: a field added to them must be added to the hand check (or it is never taken)", () => {
    // heartbeat-fast-parse.ts lists these fields and their bounds by hand: when this fails, update it and the bodies below.
    expect(Object.keys(HeartbeatRequestSchema.shape)).toStrictEqual(["timestamp", "pools", "models", "telemetry", "quarantined"]);
    expect(Object.keys(PoolSnapshotSchema.shape)).toStrictEqual(["pool_id", "ready", "draining", "slots_free", "slots_total", "vram_free_bytes", "engine", "engine_version", "device_mask", "models_available", "model", "last_error", "state", "tokens_per_second"]);
    expect(Object.keys(HostTelemetrySchema.shape)).toStrictEqual(["sampled_at_ms", "cpu_utilization_ratio", "cpus", "load1", "memory_total_bytes", "memory_available_bytes", "gpus"]);
    expect(Object.keys(GpuTelemetrySchema.shape)).toStrictEqual(["gpu", "name", "uuid", "utilization_ratio", "memory_total_bytes", "memory_used_bytes", "temperature_celsius", "power_watts", "power_limit_watts"]);
  });

  it("takes what the real agent sends and returns the schema's very copy (values and key order)", () => {
    const bodies: unknown[] = [
      agentBody(),
      (() => {
        const b = agentBody();
        delete b["telemetry"];
        return b;
      })(),
      { timestamp: "2026-11-29T22:50:01+01:00", pools: [] },
      { pools: [{ engine: "sim", pool_id: "p", ready: false, draining: true, slots_free: 0, slots_total: 0, vram_free_bytes: 0, models_available: [] }], timestamp: "2024-02-29T23:59:59.999999Z" },
      { timestamp: "2026-11-29T22:50:01Z", pools: [{ ...(agentBody()["pools"] as object[])[0], last_error: "engine exited (code 1)", state: "backoff" }], telemetry: { ...(agentBody()["telemetry"] as object), gpus: [] } },
      { timestamp: "2026-11-29T22:50:01Z", pools: [], telemetry: { ...(agentBody()["telemetry"] as object), gpus: [{ gpu: "1", name: "", uuid: null, utilization_ratio: null, memory_total_bytes: null, memory_used_bytes: null, temperature_celsius: null, power_watts: null, power_limit_watts: null }] } },
    ];
    for (const body of bodies) {
      expect(same(body), JSON.stringify(body)).toBe(true);
      const fast = parseHeartbeatFast(body);
      const zod = HeartbeatRequestSchema.parse(body);
      expect(JSON.stringify(fast)).toBe(JSON.stringify(zod)); // key order at every level
      expect(fast).toStrictEqual(zod);
    }
    // Reordered input keys come out in the schema's order, as zod's do.
    const reordered = JSON.parse(`{"telemetry":${JSON.stringify(agentBody()["telemetry"])},"pools":[{"model":{"name":"tiny","sha256":"${SHA}"},"engine":"x","models_available":[],"vram_free_bytes":0,"slots_total":1,"slots_free":1,"draining":false,"ready":true,"pool_id":"p"}],"timestamp":"2026-11-29T22:50:01Z"}`) as unknown;
    expect(JSON.stringify(parseHeartbeatFast(reordered))).toBe(JSON.stringify(HeartbeatRequestSchema.parse(reordered)));
  });

  it("is not sure of hostile or unusual bodies, which get the schema's answer", () => {
    const pool = (patch: Record<string, unknown>) => ({ ...agentBody(), pools: [{ ...(agentBody()["pools"] as object[])[0], ...patch }] });
    const tele = (patch: Record<string, unknown>) => ({ ...agentBody(), telemetry: { ...(agentBody()["telemetry"] as object), ...patch } });
    const gpu = (patch: Record<string, unknown>) => tele({ gpus: [{ ...((agentBody()["telemetry"] as { gpus: object[] }).gpus[0] as object), ...patch }] });
    const hostile: unknown[] = [
      undefined, null, "", "heartbeat", 42, true, [], [agentBody()], {},
      { ...agentBody(), timestamp: 1_795_000_000_000 },
      { ...agentBody(), timestamp: "2026-02-30T00:00:00Z" },
      { ...agentBody(), timestamp: "2026-11-29T22:50:01" },
      { ...agentBody(), timestamp: "2026-11-29 22:50:01Z" },
      { ...agentBody(), pools: null },
      { ...agentBody(), pools: {} },
      { ...agentBody(), pools: [null] },
      { ...agentBody(), extra: 1 },
      { ...agentBody(), models: [] },
      { ...agentBody(), models: [{ sha256: SHA, name: "m", file_name: "m.gguf", size_bytes: 1, has_chat_template: false }] },
      { ...agentBody(), quarantined: [] },
      { ...agentBody(), telemetry: null },
      { ...agentBody(), telemetry: undefined }, // not on the wire (JSON has no undefined), but an own key
      pool({ pool_id: "../etc" }), pool({ pool_id: "" }), pool({ pool_id: "x".repeat(129) }), pool({ ready: "true" }), pool({ draining: 0 }),
      pool({ slots_free: -1 }), pool({ slots_free: 1.5 }), pool({ slots_free: Number.NaN }), pool({ slots_total: Infinity }), pool({ vram_free_bytes: 2 ** 53 }), pool({ vram_free_bytes: "1" }),
      pool({ engine: null }), pool({ engine_version: 3 }), pool({ device_mask: null }), pool({ models_available: [SHA.toUpperCase()] }), pool({ models_available: SHA }),
      pool({ models_available: [SHA, 1] }), pool({ model: null }), pool({ model: { sha256: SHA } }), pool({ model: { sha256: SHA, name: "m", extra: 1 } }), pool({ model: [SHA, "m"] }),
      pool({ last_error: 1 }), pool({ state: "READY" }), pool({ state: null }), pool({ tokens_per_second: -0.1 }), pool({ tokens_per_second: Number.NaN }), pool({ tokens_per_second: "41" }),
      pool({ extra: { deep: [[[]]] } }), pool({ constructor: "x" }), pool({ toString: 1 }),
      tele({ sampled_at_ms: -1 }), tele({ cpu_utilization_ratio: 1.01 }), tele({ cpu_utilization_ratio: Number.NaN }), tele({ cpus: 0 }), tele({ cpus: 100_001 }), tele({ load1: -1 }),
      tele({ memory_total_bytes: 1.5 }), tele({ gpus: null }), tele({ gpus: Array.from({ length: 65 }, () => ({})) }), tele({ extra: 1 }),
      (() => {
        const t = clone(agentBody()["telemetry"]) as Record<string, unknown>;
        delete t["load1"];
        return { ...agentBody(), telemetry: t };
      })(),
      gpu({ gpu: "" }), gpu({ gpu: "x".repeat(65) }), gpu({ name: "n".repeat(129) }), gpu({ uuid: "u".repeat(129) }), gpu({ utilization_ratio: 2 }), gpu({ temperature_celsius: -51 }),
      gpu({ temperature_celsius: 201 }), gpu({ power_watts: -1 }), gpu({ memory_used_bytes: -1 }), gpu({ extra: 1 }),
      (() => {
        const g = clone((agentBody()["telemetry"] as { gpus: object[] }).gpus[0]) as Record<string, unknown>;
        delete g["uuid"]; // nullable, not optional
        return tele({ gpus: [g] });
      })(),
      // __proto__ as JSON.parse makes it (an own key), at the top, in a pool, in the telemetry, in a model.
      JSON.parse(`{"__proto__":{"pools":[]},"timestamp":"2026-11-29T22:50:01Z","pools":[]}`),
      JSON.parse(`{"timestamp":"2026-11-29T22:50:01Z","pools":[{"__proto__":{"x":1},"pool_id":"p","ready":true,"draining":false,"slots_free":1,"slots_total":1,"vram_free_bytes":0,"engine":"e","models_available":[]}]}`),
      JSON.parse(`{"timestamp":"2026-11-29T22:50:01Z","pools":[],"telemetry":${JSON.stringify(agentBody()["telemetry"]).replace("{", `{"__proto__":null,`)}}`),
      JSON.parse(`{"timestamp":"2026-11-29T22:50:01Z","pools":[{"pool_id":"p","ready":true,"draining":false,"slots_free":1,"slots_total":1,"vram_free_bytes":0,"engine":"e","models_available":[],"model":{"__proto__":{},"sha256":"${SHA}","name":"m"}}]}`),
      // Nesting deeper than the request's limit, under a key the schema would strip.
      JSON.parse(`{"timestamp":"2026-11-29T22:50:01Z","pools":[],"x":${"[".repeat(200)}${"]".repeat(200)}}`),
      Object.assign(Object.create(null) as object, agentBody()),
      Object.assign(Object.create({ timestamp: "2026-11-29T22:50:01Z" }) as object, { pools: [] }),
      // Large but valid: more pools than the hand check takes, many models per pool; and too many GPUs.
      { ...agentBody(), pools: Array.from({ length: MAX_POOLS + 1 }, (_, i) => ({ ...(agentBody()["pools"] as object[])[0], pool_id: `p${i}` })) },
      pool({ models_available: Array.from({ length: 20_000 }, () => SHA2) }),
      // One pool id twice (refused by the schema since the pool-table bound).
      { ...agentBody(), pools: [(agentBody()["pools"] as object[])[0], (agentBody()["pools"] as object[])[0]] },
    ];
    let sure = 0;
    for (const body of hostile) if (same(body)) sure++;
    // Only the two large valid bodies' neighbours could be taken: the 20,000-model pool is a well-formed body.
    expect(sure).toBe(1);
  });

  it("answers as the schema does for thousands of randomly mutated agent bodies", () => {
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    const replacements: unknown[] = [
      undefined, null, true, false, 0, -0, -1, 1, 0.5, 1.5, 2, 64, 65, 201, -51, 100_001, 2 ** 53, Number.MAX_SAFE_INTEGER, Number.NaN, Infinity, -Infinity,
      "", "x", "0", "ready", "READY", "loading", "circuit_open", "n".repeat(65), "n".repeat(129), SHA, SHA.toUpperCase(), SHA2, "node-b", "../x",
      "2026-11-29T22:50:01Z", "2026-02-29T00:00:00Z", "2028-02-29T00:00:00+14:00", "2026-11-29T24:00:00Z", "2026-11-29T22:50:01.5-23:59",
      [], [SHA], [1], {}, { sha256: SHA, name: "m" }, { sha256: SHA }, [[[[]]]],
    ];
    const extraKeys = ["extra", "__proto__", "constructor", "models", "quarantined", "hasOwnProperty"];
    /** Every object and array inside a body, with a way to change one of its entries. */
    const containers = (v: unknown, out: (Record<string, unknown> | unknown[])[] = []): (Record<string, unknown> | unknown[])[] => {
      if (v !== null && typeof v === "object") {
        out.push(v as Record<string, unknown>);
        for (const child of Object.values(v)) containers(child, out);
      }
      return out;
    };
    let sure = 0;
    let refused = 0;
    const runs = 4000;
    for (let i = 0; i < runs; i++) {
      const body = clone(agentBody());
      // A second pool (its own id: a repeated id is refused by the schema, and mutations may make one).
      if (rand(4) === 0) (body["pools"] as unknown[]).push({ ...(clone((agentBody()["pools"] as unknown[])[0]) as object), pool_id: "node-a-p1" });
      const mutations = 1 + rand(2);
      for (let m = 0; m < mutations; m++) {
        const all = containers(body);
        const target = all[rand(all.length)] as Record<string, unknown> | unknown[];
        const keys = Object.keys(target);
        const kind = rand(6);
        if (kind === 0 && !Array.isArray(target)) {
          // An extra key as JSON.parse would add it (an own property, __proto__ included).
          Object.defineProperty(target, extraKeys[rand(extraKeys.length)] as string, { value: replacements[rand(replacements.length)], enumerable: true, configurable: true, writable: true });
        } else if (kind === 1 && keys.length > 0 && !Array.isArray(target)) {
          delete target[keys[rand(keys.length)] as string];
        } else if (keys.length > 0) {
          const key = keys[rand(keys.length)] as string;
          (target as Record<string, unknown>)[key] = clone(replacements[rand(replacements.length)]);
        }
      }
      // Half of them through JSON, as the wire delivers them (undefined dropped, NaN → null, -0 → 0).
      const delivered: unknown = rand(2) === 0 ? body : JSON.parse(JSON.stringify(body));
      if (same(delivered)) sure++;
      else if (!outcome(() => parsePart(HeartbeatRequestSchema, delivered, "body")).ok) refused++;
    }
    // Both sides exercised: some mutations keep a valid body the hand check takes, most are refused.
    expect(sure).toBeGreaterThan(runs / 20);
    expect(refused).toBeGreaterThan(runs / 4);
  });
});
