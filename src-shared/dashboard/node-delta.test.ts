import { describe, expect, it } from "vitest";
import type { NodeInfo } from "../nodes/node-info.js";
import type { PoolSnapshot } from "../nodes/pool-snapshot.js";
import { ClusterEventSchema } from "./cluster-events.js";
import { applyNodeDelta, diffNode, NodeDeltaSchema, type NodeChangeSet } from "./node-delta.js";

const SHA = "b".repeat(64);

function pool(id: string, over: Partial<PoolSnapshot> = {}): PoolSnapshot {
  return { pool_id: id, ready: true, draining: false, slots_free: 2, slots_total: 4, vram_free_bytes: 1024, engine: "llamacpp", device_mask: "0", models_available: [SHA], model: { sha256: SHA, name: "m" }, ...over };
}

function node(over: Partial<NodeInfo> = {}): NodeInfo {
  return {
    node_id: "gpu-1",
    machine_id: "m-1",
    address: "http://10.0.0.1:9100",
    pool_ids: ["gpu-1.p0", "gpu-1.p1"],
    capabilities: { gpus: [{ device_id: 0, name: "GPU", vram_total_bytes: 24 * 2 ** 30, vram_free_bytes: 2 ** 30 }], cpu_cores: 16 },
    status: "Online",
    eligibility: "eligible",
    registered_at_ms: 1_000,
    last_heartbeat_ms: 10_000,
    last_heartbeat_age_ms: 12,
    version: "0.1.0",
    pools: [pool("gpu-1.p0"), pool("gpu-1.p1")],
    models: [{ sha256: SHA, name: "m", file_name: "m.gguf", size_bytes: 10, has_chat_template: true }],
    desired_pools: [],
    ...over,
  };
}

/** The delta as it crosses the wire: serialised, parsed by the event schema. */
function wire(change: NodeChangeSet, seq = 1): NodeChangeSet {
  const parsed = ClusterEventSchema.parse({ event: "node_delta", data: JSON.parse(JSON.stringify({ seq, ...change })) });
  if (parsed.event !== "node_delta") throw new Error("not a delta");
  return parsed.data;
}

describe("node deltas", () => {
  const changes: [string, (n: NodeInfo) => NodeInfo][] = [
    ["a heartbeat refresh", (n) => ({ ...n, last_heartbeat_ms: 11_000, last_heartbeat_age_ms: 3 })],
    ["a status change", (n) => ({ ...n, status: "Suspect", version: null })],
    ["one pool's slots", (n) => ({ ...n, pools: [n.pools[0] as PoolSnapshot, pool("gpu-1.p1", { slots_free: 0, vram_free_bytes: 0 })] })],
    ["a pool loses optional fields", (n) => ({ ...n, pools: [pool("gpu-1.p0", { model: undefined, device_mask: undefined, last_error: null }), n.pools[1] as PoolSnapshot] })],
    ["a pool gains optional fields", (n) => ({ ...n, pools: [pool("gpu-1.p0", { tokens_per_second: 41.5, engine_version: "b1" }), n.pools[1] as PoolSnapshot] })],
    ["the pool list changes", (n) => ({ ...n, pool_ids: ["gpu-1.p1"], pools: [pool("gpu-1.p1", { ready: false })] })],
    ["models and desired pools", (n) => ({ ...n, models: [], desired_pools: [{ pool_id: "gpu-1.p0", model: SHA, slots: null, draining: false, drain_deadline_ms: 1000, updated_at_ms: 5, convergence: { converged: false, pending: "reload", detail: "reloading to m", attempts: 1, last_error: null, next_attempt_ms: null } }] })],
  ];

  for (const [what, change] of changes) {
    it(`round trip: ${what}`, () => {
      const prev = node();
      const next = JSON.parse(JSON.stringify(change(prev))) as NodeInfo; // as described: no undefined keys
      const delta = diffNode(prev, next);
      expect(delta).not.toBeNull();
      expect(applyNodeDelta(prev, wire(delta as NodeChangeSet))).toEqual(next);
    });
  }

  it("sends only what changed: a refresh is a fraction of the whole node", () => {
    const prev = node();
    const next = { ...prev, last_heartbeat_ms: 11_000, last_heartbeat_age_ms: 3, pools: [prev.pools[0] as PoolSnapshot, pool("gpu-1.p1", { slots_free: 1 })] };
    const delta = diffNode(prev, next) as NodeChangeSet;
    expect(delta).toEqual({ node_id: "gpu-1", set: { last_heartbeat_ms: 11_000, last_heartbeat_age_ms: 3 }, pools: [{ pool_id: "gpu-1.p1", slots_free: 1 }] });
    expect(JSON.stringify(delta).length * 4).toBeLessThan(JSON.stringify(next).length);
  });

  it("nothing changed: no delta", () => {
    expect(diffNode(node(), node())).toBeNull();
  });

  it("a node seen for the first time is a full delta that rebuilds it exactly", () => {
    const n = node();
    const delta = diffNode(undefined, n) as NodeChangeSet;
    expect(delta.full).toBe(true);
    expect(applyNodeDelta(undefined, wire(delta))).toEqual(n);
    expect(applyNodeDelta(node({ status: "Offline" }), wire(delta))).toEqual(n);
  });

  it("cannot apply: a partial delta for an unknown node or pool, or a full one missing fields (resync)", () => {
    const prev = node();
    const delta = diffNode(prev, { ...prev, status: "Offline" }) as NodeChangeSet;
    expect(applyNodeDelta(undefined, delta)).toBeNull();
    expect(applyNodeDelta(node({ node_id: "other" }), delta)).toBeNull();
    expect(applyNodeDelta(prev, { node_id: "gpu-1", set: {}, pools: [{ pool_id: "gpu-9.p0", slots_free: 1 }] })).toBeNull();
    expect(applyNodeDelta(undefined, { node_id: "gpu-1", full: true, set: { status: "Online" } })).toBeNull();
  });

  it("the schema refuses a delta without a sequence number or with an unknown unset key", () => {
    expect(NodeDeltaSchema.safeParse({ node_id: "gpu-1", set: {} }).success).toBe(false);
    expect(NodeDeltaSchema.safeParse({ seq: 1, node_id: "gpu-1", set: {}, pools: [{ pool_id: "gpu-1.p0", unset: ["slots_free"] }] }).success).toBe(false);
  });
});
