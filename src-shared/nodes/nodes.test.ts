import { describe, expect, it } from "vitest";
import { rejectedPaths } from "../common/validation-issues.js";
import { HeartbeatRequestSchema, HeartbeatResponseSchema } from "./heartbeat.js";
import { NodeListResponseSchema } from "./node-info.js";
import { RegisterNodeRequestSchema, RegisterNodeResponseSchema } from "./node-registration.js";
import { PoolSnapshotSchema } from "./pool-snapshot.js";

const HEX_A = "a".repeat(64);
const HEX_B = "b".repeat(64);

// Spec §6.1, verbatim.
const SPEC_REGISTER = {
  node_id: "node-a",
  machine_id: "rack1-host3",
  address: "http://10.0.0.11:9200",
  pools: ["a-gpu0", "a-gpu1"],
  capabilities: {
    gpus: [
      { device_id: 0, name: "NVIDIA GeForce RTX 3090", vram_total_bytes: 25769803776, compute_capability: "8.6" },
      { device_id: 1, name: "NVIDIA GeForce RTX 3060", vram_total_bytes: 12884901888, compute_capability: "8.6" },
    ],
    cpu_cores: 24,
    ram_total_bytes: 68719476736,
  },
  version: "0.1.0",
};

// Spec §6.2, with models reported by sha256 as this rebuild requires.
const HEARTBEAT = {
  timestamp: "2025-10-01T09:00:10+00:00",
  pools: [
    { pool_id: "a-gpu0", ready: true, draining: false, slots_free: 1, slots_total: 2, vram_free_bytes: 14000000000, engine: "llamacpp", models_available: [HEX_A, HEX_B] },
    { pool_id: "a-gpu1", ready: false, draining: true, slots_free: 0, slots_total: 1, vram_free_bytes: 3000000000, engine: "llamacpp", models_available: [] },
  ],
};

describe("node registration", () => {
  it("accepts the spec's register request and a minimal one", () => {
    expect(RegisterNodeRequestSchema.parse(SPEC_REGISTER)).toEqual(SPEC_REGISTER);
    const minimal = { node_id: "n1", machine_id: "m", address: "http://127.0.0.1:9200", pools: [], capabilities: { gpus: [], ram_total_bytes: null } };
    expect(RegisterNodeRequestSchema.safeParse(minimal).success).toBe(true);
  });

  it("rejects bad ids, addresses and GPU entries at the offending field", () => {
    expect(rejectedPaths(RegisterNodeRequestSchema, { ...SPEC_REGISTER, node_id: "../etc" })).toEqual([["node_id"]]);
    expect(rejectedPaths(RegisterNodeRequestSchema, { ...SPEC_REGISTER, address: "10.0.0.11:9200" })).toEqual([["address"]]);
    expect(rejectedPaths(RegisterNodeRequestSchema, { ...SPEC_REGISTER, address: "file:///etc/passwd" })).toEqual([["address"]]);
    // Credentials in an address would be logged and listed; the orchestrator authenticates with the node's token.
    expect(rejectedPaths(RegisterNodeRequestSchema, { ...SPEC_REGISTER, address: "http://user:pass@10.0.0.11:9200" })).toEqual([["address"]]);
    expect(rejectedPaths(RegisterNodeRequestSchema, { ...SPEC_REGISTER, address: "http://10.0.0.11:9200/x@y" })).toEqual([]);
    expect(rejectedPaths(RegisterNodeRequestSchema, { ...SPEC_REGISTER, pools: ["ok", "bad id"] })).toEqual([["pools", 1]]);
    const badGpu = { ...SPEC_REGISTER, capabilities: { gpus: [{ device_id: 0, name: "x", vram_total_bytes: -5 }] } };
    expect(rejectedPaths(RegisterNodeRequestSchema, badGpu)).toEqual([["capabilities", "gpus", 0, "vram_total_bytes"]]);
    const { capabilities: _c, ...noCaps } = SPEC_REGISTER;
    expect(rejectedPaths(RegisterNodeRequestSchema, noCaps)).toEqual([["capabilities"]]);
  });

  it("validates the register response", () => {
    expect(RegisterNodeResponseSchema.safeParse({ success: true, message: "Registered successfully", node_id: "node-a", next_heartbeat_ms: 1000 }).success).toBe(true);
    // The original omitted next_heartbeat_ms; the rebuild requires it so workers follow the server's cadence.
    expect(rejectedPaths(RegisterNodeResponseSchema, { success: true, message: "Registered successfully", node_id: "node-a" })).toEqual([["next_heartbeat_ms"]]);
  });
});

describe("heartbeat", () => {
  it("accepts the spec's heartbeat (models by sha256) and response", () => {
    expect(HeartbeatRequestSchema.parse(HEARTBEAT)).toEqual(HEARTBEAT);
    expect(HeartbeatResponseSchema.safeParse({ success: true, next_heartbeat_ms: 10000 }).success).toBe(true);
  });

  it("rejects friendly names in models_available, bad timestamps and fractional slots", () => {
    const pool0 = HEARTBEAT.pools[0];
    expect(rejectedPaths(HeartbeatRequestSchema, { ...HEARTBEAT, pools: [{ ...pool0, models_available: ["qwen2.5-7b"] }] })).toEqual([["pools", 0, "models_available", 0]]);
    expect(rejectedPaths(HeartbeatRequestSchema, { ...HEARTBEAT, timestamp: "yesterday" })).toEqual([["timestamp"]]);
    expect(rejectedPaths(PoolSnapshotSchema, { ...pool0, slots_free: 0.5 })).toEqual([["slots_free"]]);
  });
});

describe("node list", () => {
  it("accepts a listing and rejects unknown statuses", () => {
    const node = {
      node_id: "node-a", machine_id: "rack1-host3", address: "http://10.0.0.11:9200", pool_ids: ["a-gpu0", "a-gpu1"],
      capabilities: { gpus: [], cpu_cores: 24, ram_total_bytes: null }, status: "Online", registered_at_ms: 1759270000000,
      last_heartbeat_ms: 1759270010000, last_heartbeat_age_ms: 120, version: null, pools: HEARTBEAT.pools, models: [],
      eligibility: "eligible", desired_pools: [],
    };
    expect(NodeListResponseSchema.safeParse({ nodes: [node], count: 1 }).success).toBe(true);
    expect(rejectedPaths(NodeListResponseSchema, { nodes: [{ ...node, status: "Failed" }], count: 1 })).toEqual([["nodes", 0, "status"]]);
  });

  it("keeps drain out of the status: Draining is refused, eligibility carries it", () => {
    const node = {
      node_id: "node-a", machine_id: "m", address: "http://10.0.0.11:9200", pool_ids: ["a-gpu0"], capabilities: { gpus: [] }, status: "Online",
      eligibility: "ineligible", registered_at_ms: 0, last_heartbeat_ms: 0, last_heartbeat_age_ms: 0, version: null, pools: [], models: [],
      desired_pools: [{
        pool_id: "a-gpu0", model: null, slots: null, draining: true, drain_deadline_ms: 30000, updated_at_ms: 1,
        convergence: { converged: false, pending: "drain", detail: "draining (requested)", attempts: 1, last_error: null, next_attempt_ms: 2 },
      }],
    };
    expect(NodeListResponseSchema.safeParse({ nodes: [node], count: 1 }).success).toBe(true);
    expect(rejectedPaths(NodeListResponseSchema, { nodes: [{ ...node, status: "Draining" }], count: 1 })).toEqual([["nodes", 0, "status"]]);
    expect(rejectedPaths(NodeListResponseSchema, { nodes: [{ ...node, eligibility: "drained" }], count: 1 })).toEqual([["nodes", 0, "eligibility"]]);
  });
});
