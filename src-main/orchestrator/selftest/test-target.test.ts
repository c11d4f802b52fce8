import { describe, expect, it } from "vitest";
import type { PoolSnapshot } from "../../../src-shared/nodes/pool-snapshot.js";
import type { NodeRecord } from "../registry/node-record.js";
import { readyGenerationPools } from "./test-target.js";

const sha = (c: string) => c.repeat(64);
const pool = (id: string, model: string, extra: Partial<PoolSnapshot> = {}): PoolSnapshot => ({ pool_id: id, ready: true, draining: false, slots_free: 2, slots_total: 2, vram_free_bytes: 0, engine: "llamacpp", models_available: [sha(model)], model: { sha256: sha(model), name: `m-${model}` }, ...extra });
const node = (id: string, pools: PoolSnapshot[], extra: Partial<NodeRecord> = {}): NodeRecord =>
  ({
    node_id: id, machine_id: id, address: "http://x", version: null, capabilities: { gpus: [] } as unknown as NodeRecord["capabilities"], pool_ids: pools.map((p) => p.pool_id), pools,
    models: [
      { sha256: sha("a"), name: "big", size_bytes: 900, workloads: ["completion"] },
      { sha256: sha("b"), name: "small", size_bytes: 100, workloads: ["completion"] },
      { sha256: sha("c"), name: "ranker", size_bytes: 10, workloads: ["rerank"] },
    ] as NodeRecord["models"],
    status: "Online", eligibility: "eligible", registered_at_ms: 0, last_heartbeat_ms: 0, owner: null, ...extra,
  });

describe("self-test target pools", () => {
  it("picks ready generation pools, smallest model first", () => {
    const nodes = [node("n1", [pool("p-big", "a"), pool("p-small", "b"), pool("p-rank", "c")])];
    expect(readyGenerationPools(nodes, () => null).map((t) => t.pool_id)).toEqual(["p-small", "p-big"]);
  });

  it("leaves out pools that cannot take work now", () => {
    const nodes = [
      node("suspect", [pool("p1", "b")], { status: "Suspect" }),
      node("drained", [pool("p2", "b")], { eligibility: "ineligible" }),
      node("n", [pool("p3", "b", { ready: false }), pool("p4", "b", { draining: true }), pool("p5", "b", { slots_total: 0 }), pool("p6", "b"), pool("p7", "b")]),
    ];
    expect(readyGenerationPools(nodes, (p) => (p.pool_id === "p7" ? "operator drain" : null)).map((t) => t.pool_id)).toEqual(["p6"]);
  });
});
