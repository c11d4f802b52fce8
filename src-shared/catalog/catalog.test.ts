import { describe, expect, it } from "vitest";
import { rejectedPaths } from "../common/validation-issues.js";
import { CapabilitiesResponseSchema } from "../meta/capabilities.js";
import { PoolHealthResponseSchema, PoolReloadRequestSchema } from "../pools/pool-health.js";
import { SessionInfoSchema } from "../sessions/session.js";
import { CatalogAvailabilityResponseSchema } from "./availability.js";
import { CatalogEntrySchema, CatalogModelV2Schema, CatalogStateRequestSchema } from "./catalog-model.js";

const QWEN = "1".repeat(64);
const TINY = "2".repeat(64);

describe("sessions and pools (orchestrator side)", () => {
  it("accepts the spec's session GET body", () => {
    const body = { ttl_ms_remaining: 600000, turns: 0, kv_bytes: 0, kv_warmth: false, tokens_budget_remaining: 0, time_budget_remaining_ms: 600000, cost_budget_remaining: 0.0 };
    expect(SessionInfoSchema.parse(body)).toEqual(body);
    expect(rejectedPaths(SessionInfoSchema, { ...body, turns: -1 })).toEqual([["turns"]]);
  });

  it("accepts the spec's pool health body and reload request", () => {
    expect(PoolHealthResponseSchema.safeParse({ live: true, ready: true, draining: false, metrics: { queue_depth: 0 }, last_error: null }).success).toBe(true);
    expect(rejectedPaths(PoolHealthResponseSchema, { live: true, ready: true, draining: false, metrics: {}, last_error: null })).toEqual([["metrics", "queue_depth"]]);
    expect(PoolReloadRequestSchema.safeParse({ new_model_ref: "hf:org/repo/file.gguf" }).success).toBe(true);
    expect(rejectedPaths(PoolReloadRequestSchema, { new_model_ref: "../x.gguf" })).toEqual([["new_model_ref"]]);
    expect(rejectedPaths(PoolReloadRequestSchema, { model: "tiny" })).toEqual([["new_model_ref"]]);
  });
});

describe("catalog", () => {
  it("accepts a CatalogModelV2 and rejects a bare digest", () => {
    const model = { id: "hf:org/repo/file.gguf", digest: `sha256:${QWEN}`, tags: ["chat"], trust_policy: { mode: "permissive" } };
    expect(CatalogModelV2Schema.safeParse(model).success).toBe(true);
    expect(rejectedPaths(CatalogModelV2Schema, { ...model, digest: QWEN })).toEqual([["digest"]]);
    expect(rejectedPaths(CatalogModelV2Schema, { ...model, trust_policy: { mode: "lenient" } })).toEqual([["trust_policy", "mode"]]);
  });

  it("validates entries and lifecycle changes", () => {
    const entry = { id: "tiny", name: "tiny", local_path: "/m/tiny.gguf", lifecycle: "Active", digest: { algo: "sha256", value: TINY }, size_bytes: 10, last_verified_ms: null };
    expect(CatalogEntrySchema.safeParse(entry).success).toBe(true);
    expect(CatalogStateRequestSchema.safeParse({ state: "Retired", deadline_ms: 1000 }).success).toBe(true);
    // The original silently turned unknown states into Active; we reject them.
    expect(rejectedPaths(CatalogStateRequestSchema, { state: "Deprecated" })).toEqual([["state"]]);
  });

  it("accepts the spec §7.3 availability shape (models by sha256) plus models[]", () => {
    const body = {
      nodes: {
        "node-a": { node_id: "node-a", address: "http://10.0.0.11:9200", online: true, models: [QWEN, TINY], pools: [{ pool_id: "a-gpu0", ready: true, models: [QWEN, TINY] }] },
        "node-b": { node_id: "node-b", address: "http://10.0.0.12:9200", online: true, models: [QWEN], pools: [{ pool_id: "b-gpu0", ready: true, models: [QWEN] }] },
      },
      total_models: 2,
      replicated_models: [QWEN],
      single_node_models: [TINY],
      models: [
        { sha256: QWEN, name: "qwen2.5-7b", size_bytes: 4000000000, nodes: ["node-a", "node-b"] },
        { sha256: TINY, name: "tinyllama-1.1b", size_bytes: null, nodes: ["node-a"] },
      ],
    };
    expect(CatalogAvailabilityResponseSchema.parse(body)).toEqual(body);
    expect(rejectedPaths(CatalogAvailabilityResponseSchema, { ...body, replicated_models: ["qwen2.5-7b"] })).toEqual([["replicated_models", 0]]);
    const { models: _m, ...original } = body;
    expect(rejectedPaths(CatalogAvailabilityResponseSchema, original)).toEqual([["models"]]);
  });
});

describe("capabilities", () => {
  it("accepts the spec's capabilities body", () => {
    const engines = ["llamacpp", "vllm", "tgi", "triton"].map((engine) => ({ engine, ctx_max: 32768, supported_workloads: ["completion", "embedding", "rerank"], rate_limits: {}, features: {} }));
    expect(CapabilitiesResponseSchema.safeParse({ api_version: "2.0.0", engines }).success).toBe(true);
    expect(rejectedPaths(CapabilitiesResponseSchema, { api_version: "2.0.0", engines: [{ ...engines[0], supported_workloads: ["chat"] }] })).toEqual([["engines", 0, "supported_workloads", 0]]);
  });
});
