import { describe, expect, it } from "vitest";
import { explainPlacement } from "./full-placement.js";
import { placeTask } from "./place-task.js";
import type { PlacementCandidate, PlacementPolicy, PlacementRequest } from "./placement-types.js";

const MODELS = ["a", "b", "c"].map((m) => m.repeat(64));

/** A small deterministic PRNG so a failing case can be replayed from its seed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function randomCluster(next: () => number, nodes: number): PlacementCandidate[] {
  const out: PlacementCandidate[] = [];
  for (let n = 0; n < nodes; n++) {
    const state = next() < 0.15 ? (next() < 0.5 ? "Offline" : "Suspect") : "Online";
    for (let p = 0; p < 2; p++) {
      const model = MODELS[Math.floor(next() * MODELS.length)] as string;
      out.push({
        node_id: `n${n}`, pool_id: `n${n}.p${p}`, node_schedulable: state === "Online", node_state: state,
        ready: next() > 0.1, draining: next() < 0.05, slots_total: 4, slots_free: Math.floor(next() * 5),
        vram_free_bytes: Math.floor(next() * 4) * 1000, device_mask: next() < 0.3 ? "cpu" : String(p),
        models_available: next() < 0.5 ? [model, MODELS[0] as string] : [model], loaded_model: next() < 0.7 ? model : undefined,
        // Ejected pools (outlier ejection): skipped unless no other pool could serve the model.
        ejected: next() < 0.2 ? `pool ejected until T after 3 failures (n${n}.p${p})` : undefined,
      });
    }
  }
  return out;
}

function randomRequest(next: () => number, nodes: number): PlacementRequest {
  const mode = (["auto", "auto", "prefer", "pin"] as const)[Math.floor(next() * 4)] ?? "auto";
  const pool = () => `n${Math.floor(next() * nodes)}.p${Math.floor(next() * 2)}`;
  return {
    model_sha256: MODELS[Math.floor(next() * MODELS.length)] as string,
    model_size_bytes: next() < 0.5 ? 1500 : undefined,
    mode,
    allow_fallback: next() < 0.7,
    ...(mode === "pin" ? (next() < 0.5 ? { pin_pool_id: pool() } : { pin_node_id: `n${Math.floor(next() * nodes)}` }) : {}),
    ...(mode === "prefer" ? { prefer_pools: [pool(), pool()] } : {}),
    ...(next() < 0.2 ? { avoid_pools: [pool()] } : {}),
    ...(next() < 0.2 ? { exclude_nodes: [`n${Math.floor(next() * nodes)}`] } : {}),
    ...(next() < 0.3 ? { session_pool_id: pool() } : {}),
  };
}

describe("placeTask (fast path) against explainPlacement (eager reference)", () => {
  it("makes the same decision on 3,000 random clusters, requests and strategies, and explains it lazily the same way", () => {
    for (let seed = 1; seed <= 3000; seed++) {
      const next = rng(seed);
      const nodes = 1 + Math.floor(next() * 12);
      const candidates = randomCluster(next, nodes);
      const request = randomRequest(next, nodes);
      const policy: PlacementPolicy = { strategy: (["least-loaded", "round-robin", "random"] as const)[seed % 3] ?? "least-loaded", sequence: Math.floor(next() * 50), seed: 7 };
      const { candidates: eagerVerdicts, ...eager } = explainPlacement(request, candidates, policy);
      const fast = placeTask(request, next() < 0.5 ? candidates : [...candidates].reverse(), policy);
      const { summary, ...decision } = fast;
      expect({ seed, ...decision }).toEqual({ seed, ...eager });
      expect(fast.candidates).toEqual(eagerVerdicts);
      const holders = candidates.filter((c) => c.loaded_model === request.model_sha256 || c.models_available.includes(request.model_sha256));
      const indexed = placeTask(request, candidates, policy, holders);
      expect(indexed).toEqual(fast);
      expect(indexed.summary).toEqual(summary);
      expect(summary.top.map((t) => t.pool_id)).toEqual(eagerVerdicts.filter((v) => v.rank !== undefined && v.rank <= 3).sort((a, b) => (a.rank ?? 0) - (b.rank ?? 0)).map((v) => v.pool_id));
      const rejectedCount = Object.values(summary.rejected).reduce((a, b) => a + b, 0);
      if (fast.outcome === "assigned") expect(rejectedCount + summary.eligible).toBe(candidates.length);
    }
  });
});

describe("the decision's summary and lazy explanation", () => {
  const pool = (id: string, over: Partial<PlacementCandidate> = {}): PlacementCandidate => ({
    node_id: id, pool_id: `${id}.p`, node_schedulable: true, node_state: "Online", ready: true, draining: false,
    slots_total: 4, slots_free: 4, vram_free_bytes: 0, device_mask: "cpu", models_available: [MODELS[0] as string], loaded_model: MODELS[0], ...over,
  });
  const request: PlacementRequest = { model_sha256: MODELS[0] as string, mode: "auto", allow_fallback: true };
  const policy: PlacementPolicy = { strategy: "least-loaded", sequence: 0, seed: 1 };

  it("keeps the top candidates and counts rejections per first failed filter; JSON (the journal) holds only that", () => {
    const d = placeTask(request, [pool("n1", { slots_free: 1 }), pool("n2"), pool("n3", { models_available: [], loaded_model: undefined }), pool("n4", { slots_free: 0 }), pool("n5", { node_schedulable: false, node_state: "Offline", slots_free: 0 })], policy);
    expect(d.summary).toMatchObject({ considered: 5, eligible: 2, rejected: { model_missing: 1, no_free_slot: 1, node_unschedulable: 1 } });
    expect(d.summary.top.map((t) => [t.pool_id, t.rank])).toEqual([["n2.p", 1], ["n1.p", 2]]);
    const stored = JSON.parse(JSON.stringify(d)) as Record<string, unknown>;
    expect(stored).not.toHaveProperty("candidates");
    expect(stored).toHaveProperty("summary.top");
  });

  it("explains from the snapshot of the decision, not from what the caller changed afterwards", () => {
    const exclude = ["n9"];
    const d = placeTask({ ...request, exclude_nodes: exclude }, [pool("n1"), pool("n2", { slots_free: 2 })], policy);
    exclude.push("n1"); // the scheduler records the attempt on the chosen node after placing
    expect(d).toMatchObject({ outcome: "assigned", node_id: "n1" });
    expect(d.candidates.find((c) => c.node_id === "n1")).toMatchObject({ eligible: true, rank: 1 });
    expect(d.candidates.find((c) => c.node_id === "n2")?.rejected_because).toEqual(["lost to n1.p: busier (2 vs 0 busy slots)"]);
  });
});
