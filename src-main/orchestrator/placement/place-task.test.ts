import { describe, expect, it } from "vitest";
import { placeTask } from "./place-task.js";
import type { PlacementCandidate, PlacementPolicy, PlacementRequest } from "./placement-types.js";

const A = "a".repeat(64);
const B = "b".repeat(64);

function pool(node_id: string, pool_id: string, over: Partial<PlacementCandidate> = {}): PlacementCandidate {
  return {
    node_id, pool_id, node_schedulable: true, node_state: "Online", ready: true, draining: false,
    slots_total: 4, slots_free: 4, vram_free_bytes: 0, device_mask: "cpu", models_available: [A], loaded_model: A, ...over,
  };
}
const auto = (over: Partial<PlacementRequest> = {}): PlacementRequest => ({ model_sha256: A, mode: "auto", allow_fallback: true, ...over });
const leastLoaded: PlacementPolicy = { strategy: "least-loaded", sequence: 0, seed: 1 };

describe("placeTask", () => {
  it("skips an ejected pool while another pool can serve the model, and names the ejection", () => {
    const why = "pool ejected until 2026-11-30T08:00:00.000Z after 3 failures in a row before the first token";
    // The ejected pool would win every tie (a petabyte free); the honest one is busier.
    const d = placeTask(auto(), [pool("liar", "pl", { vram_free_bytes: 2 ** 50, slots_total: 1e9, slots_free: 1e9 }), pool("n1", "p1", { slots_free: 1 })].map((c) => (c.pool_id === "pl" ? { ...c, ejected: why } : c)), leastLoaded);
    expect(d).toMatchObject({ outcome: "assigned", pool_id: "p1" });
    expect(d.summary.rejected).toEqual({ pool_ejected: 1 });
    expect(d.candidates.find((c) => c.pool_id === "pl")).toMatchObject({ eligible: false, rejected_because: [why] });
    expect(d.outcome === "assigned" ? d.reasons.join("; ") : "").not.toMatch(/ejected/);
  });

  it("a task waits for a busy healthy pool rather than going to an ejected one", () => {
    const d = placeTask(auto(), [pool("liar", "pl", { ejected: "pool ejected until T" }), pool("n1", "p1", { slots_free: 0 })], leastLoaded);
    expect(d).toMatchObject({ outcome: "no_capacity", code: "POOL_UNAVAILABLE", transient: true });
    expect(d.summary.rejected).toEqual({ pool_ejected: 1, no_free_slot: 1 });
  });

  it("never ejects the last pool that can serve the model: placed there anyway, and the explanation says so", () => {
    const why = "pool ejected until T after 3 failures in a row before the first token";
    // The other holder cannot serve: its node is offline, or it already failed this task.
    for (const other of [pool("n1", "p1", { node_schedulable: false, node_state: "Offline" }), pool("n1", "p1")]) {
      const d = placeTask(auto({ exclude_nodes: ["n1"] }), [pool("solo", "ps", { ejected: why }), other], leastLoaded);
      expect(d).toMatchObject({ outcome: "assigned", pool_id: "ps" });
      if (d.outcome !== "assigned") throw new Error("unreachable");
      expect(d.reasons).toContain(`${why}, but no other pool can serve the model: placed here anyway`);
      expect(d.summary.rejected.pool_ejected).toBeUndefined();
      expect(d.candidates.find((c) => c.pool_id === "ps")).toMatchObject({ eligible: true, rank: 1 });
    }
    // Every holder ejected: the best of them still serves.
    const both = placeTask(auto(), [pool("a", "pa", { ejected: why, slots_free: 1 }), pool("b", "pb", { ejected: why })], leastLoaded);
    expect(both).toMatchObject({ outcome: "assigned", pool_id: "pb" });
  });

  it("sends a task to the only node holding its model and says why the others lost", () => {
    const d = placeTask(auto({ model_sha256: B }), [pool("n1", "p1"), pool("n2", "p2", { models_available: [B], loaded_model: B })], leastLoaded);
    expect(d).toMatchObject({ outcome: "assigned", node_id: "n2", pool_id: "p2" });
    expect(d.candidates.find((c) => c.pool_id === "p1")?.rejected_because).toEqual(["model not present on this pool"]);
  });

  it("least-loaded picks the pool with fewest busy slots, then most free VRAM, then id", () => {
    const d = placeTask(auto(), [pool("n1", "p1", { slots_free: 1 }), pool("n2", "p2", { slots_free: 3 }), pool("n3", "p3", { slots_free: 3 })], leastLoaded);
    expect(d).toMatchObject({ outcome: "assigned", pool_id: "p2" });
    expect(d.candidates.find((c) => c.pool_id === "p1")?.rejected_because[0]).toMatch(/busier \(3 vs 1 busy slots\)/);
    expect(d.candidates.find((c) => c.pool_id === "p3")?.rejected_because[0]).toMatch(/tie broken by id/);
  });

  it("is deterministic: same inputs, same decision, whatever the candidate order", () => {
    const cands = [pool("n2", "p2"), pool("n1", "p1"), pool("n3", "p3")];
    const d1 = placeTask(auto(), cands, { strategy: "random", sequence: 7, seed: 3 });
    const d2 = placeTask(auto(), [...cands].reverse(), { strategy: "random", sequence: 7, seed: 3 });
    expect(d1).toEqual(d2);
  });

  it("round-robin walks the eligible pools in id order", () => {
    const cands = [pool("n1", "p1"), pool("n2", "p2")];
    const picks = [0, 1, 2, 3].map((sequence) => {
      const d = placeTask(auto(), cands, { strategy: "round-robin", sequence, seed: 1 });
      return d.outcome === "assigned" ? d.pool_id : null;
    });
    expect(picks).toEqual(["p1", "p2", "p1", "p2"]);
  });

  it("session affinity wins over load", () => {
    const d = placeTask(auto({ session_pool_id: "p1" }), [pool("n1", "p1", { slots_free: 1 }), pool("n2", "p2")], leastLoaded);
    expect(d).toMatchObject({ outcome: "assigned", pool_id: "p1" });
  });

  it("filters offline nodes, draining and unready pools, full pools and avoided pools", () => {
    const d = placeTask(auto({ avoid_pools: ["p5"] }), [
      pool("n1", "p1", { node_schedulable: false, node_state: "Offline" }),
      pool("n2", "p2", { draining: true }),
      pool("n3", "p3", { ready: false }),
      pool("n4", "p4", { slots_free: 0 }),
      pool("n5", "p5"),
    ], leastLoaded);
    expect(d).toMatchObject({ outcome: "no_capacity", code: "POOL_UNAVAILABLE", transient: false });
    expect(d.candidates.map((c) => c.rejected_because[0])).toEqual(["node Offline", "pool draining", "pool not ready", "no free slot (4 of 4 busy)", "pool in avoid_pools"]);
  });

  it("pools that are down (not ready, not coming up) give a final POOL_UNAVAILABLE; one coming up or busy makes it transient", () => {
    const down = pool("n1", "p1", { ready: false, loading: false });
    expect(placeTask(auto(), [down], leastLoaded)).toMatchObject({ outcome: "no_capacity", code: "POOL_UNAVAILABLE", transient: false, message: expect.stringContaining("not restarting by itself") });
    expect(placeTask(auto(), [pool("n1", "p1", { ready: false, loading: true })], leastLoaded)).toMatchObject({ transient: true });
    expect(placeTask(auto(), [down, pool("n2", "p2", { slots_free: 0 })], leastLoaded)).toMatchObject({ transient: true });
    // Another holder's node is Suspect (its worker paused, a missed heartbeat): it may be back in seconds.
    expect(placeTask(auto(), [down, pool("n2", "p2", { node_schedulable: false, node_state: "Suspect" })], leastLoaded)).toMatchObject({ transient: true });
    expect(placeTask(auto(), [down, pool("n2", "p2", { node_schedulable: false, node_state: "Offline" })], leastLoaded)).toMatchObject({ transient: false, code: "POOL_UNAVAILABLE" });
  });

  it("busy pools give a transient POOL_UNAVAILABLE (the task waits), an absent model MODEL_NOT_AVAILABLE", () => {
    expect(placeTask(auto(), [pool("n1", "p1", { slots_free: 0 })], leastLoaded)).toMatchObject({ outcome: "no_capacity", code: "POOL_UNAVAILABLE", transient: true });
    expect(placeTask(auto({ model_sha256: B }), [pool("n1", "p1")], leastLoaded)).toMatchObject({ outcome: "no_capacity", code: "MODEL_NOT_AVAILABLE", transient: false });
  });

  it("pins: unknown pool → INVALID_PARAMS, unknown node → NODE_UNAVAILABLE, unready → POOL_UNREADY, never a silent fallback", () => {
    const cands = [pool("n1", "p1"), pool("n2", "p2", { ready: false })];
    expect(placeTask(auto({ mode: "pin", pin_pool_id: "nope" }), cands, leastLoaded)).toMatchObject({ code: "INVALID_PARAMS" });
    expect(placeTask(auto({ mode: "pin", pin_node_id: "nope" }), cands, leastLoaded)).toMatchObject({ code: "NODE_UNAVAILABLE" });
    expect(placeTask(auto({ mode: "pin", pin_pool_id: "p2" }), cands, leastLoaded)).toMatchObject({ code: "POOL_UNREADY" });
    expect(placeTask(auto({ mode: "pin", pin_pool_id: "p1" }), cands, leastLoaded)).toMatchObject({ outcome: "assigned", pool_id: "p1", pinned: true });
  });

  it("a pinned task waits for its node only while it is coming back (Suspect, Registering), not once it is Offline or drained", () => {
    const on = (state: string) => [pool("n1", "p1", { node_schedulable: false, node_state: state })];
    for (const pin of [{ pin_node_id: "n1" }, { pin_pool_id: "p1" }]) {
      expect(placeTask(auto({ mode: "pin", ...pin }), on("Suspect"), leastLoaded)).toMatchObject({ code: "NODE_UNAVAILABLE", transient: true });
      expect(placeTask(auto({ mode: "pin", ...pin }), on("Registering"), leastLoaded)).toMatchObject({ code: "NODE_UNAVAILABLE", transient: true });
      expect(placeTask(auto({ mode: "pin", ...pin }), on("Offline"), leastLoaded)).toMatchObject({ code: "NODE_UNAVAILABLE", transient: false });
      expect(placeTask(auto({ mode: "pin", ...pin }), on("ineligible (drained)"), leastLoaded)).toMatchObject({ code: "NODE_UNAVAILABLE", transient: false });
    }
    // A pinned pool that is down and not restarting by itself is not waited for; one loading is.
    expect(placeTask(auto({ mode: "pin", pin_pool_id: "p1" }), [pool("n1", "p1", { ready: false, loading: false })], leastLoaded)).toMatchObject({ code: "POOL_UNREADY", transient: false });
    expect(placeTask(auto({ mode: "pin", pin_pool_id: "p1" }), [pool("n1", "p1", { ready: false, loading: true })], leastLoaded)).toMatchObject({ code: "POOL_UNREADY", transient: true });
  });

  it("prefer restricts to preferred pools when one is feasible, else falls back only if allowed", () => {
    const cands = [pool("n1", "p1"), pool("n2", "p2", { slots_free: 1 })];
    expect(placeTask(auto({ mode: "prefer", prefer_pools: ["p2"] }), cands, leastLoaded)).toMatchObject({ pool_id: "p2", fallback_used: false });
    const full = [pool("n1", "p1"), pool("n2", "p2", { slots_free: 0 })];
    expect(placeTask(auto({ mode: "prefer", prefer_pools: ["p2"] }), full, leastLoaded)).toMatchObject({ pool_id: "p1", fallback_used: true });
    expect(placeTask(auto({ mode: "prefer", prefer_pools: ["p2"], allow_fallback: false }), full, leastLoaded)).toMatchObject({ outcome: "no_capacity" });
  });

  it("re-placement excludes nodes that already failed the task", () => {
    const d = placeTask(auto({ exclude_nodes: ["n1"] }), [pool("n1", "p1"), pool("n2", "p2", { slots_free: 1 })], leastLoaded);
    expect(d).toMatchObject({ outcome: "assigned", node_id: "n2" });
  });

  it("re-placement that finds no other holder ends at once with a retriable REPLICA_EXHAUSTED, never a silent wait", () => {
    const d = placeTask(auto({ exclude_nodes: ["n1"] }), [pool("n1", "p1", { node_schedulable: false, node_state: "Suspect" }), pool("n2", "p2", { models_available: [B], loaded_model: B })], leastLoaded);
    expect(d).toMatchObject({ outcome: "no_capacity", code: "REPLICA_EXHAUSTED", transient: false });
  });

  it("waits for the model's holders only while one of them is Suspect; Offline or drained holders end the wait", () => {
    const suspect = placeTask(auto(), [pool("n1", "p1", { node_schedulable: false, node_state: "Suspect" }), pool("n2", "p2", { node_schedulable: false, node_state: "Offline" })], leastLoaded);
    expect(suspect).toMatchObject({ outcome: "no_capacity", code: "MODEL_NOT_AVAILABLE", transient: true });
    const gone = placeTask(auto(), [pool("n1", "p1", { node_schedulable: false, node_state: "Offline" }), pool("n2", "p2", { node_schedulable: false, node_state: "draining" })], leastLoaded);
    expect(gone).toMatchObject({ outcome: "no_capacity", code: "MODEL_NOT_AVAILABLE", transient: false });
  });

  it("waits for a holder that re-registered (Registering: its first heartbeat is due), as for a Suspect one", () => {
    // The only holder's agent restarted and registered again: it is Online at its next heartbeat, or Suspect then Offline without one.
    const registering = placeTask(auto(), [pool("n1", "p1", { node_schedulable: false, node_state: "Registering", slots_free: 0 })], leastLoaded);
    expect(registering).toMatchObject({ outcome: "no_capacity", code: "MODEL_NOT_AVAILABLE", transient: true });
    // Beside an Online holder whose pool is down for good, a Registering one keeps the wait too.
    const down = pool("n2", "p2", { ready: false, loading: false });
    expect(placeTask(auto(), [down, pool("n1", "p1", { node_schedulable: false, node_state: "Registering" })], leastLoaded)).toMatchObject({ transient: true });
    // A re-placed task never waits for the node it failed on, whatever its state.
    expect(placeTask(auto({ exclude_nodes: ["n1"] }), [pool("n1", "p1", { node_schedulable: false, node_state: "Registering" })], leastLoaded)).toMatchObject({ code: "REPLICA_EXHAUSTED", transient: false });
  });

  it("a cold pool needs the model to fit its free VRAM; a warm one does not", () => {
    const gpu = { device_mask: "0", vram_free_bytes: 100 };
    const cold = pool("n1", "p1", { ...gpu, loaded_model: B, models_available: [A, B] });
    expect(placeTask(auto({ model_size_bytes: 1000 }), [cold], leastLoaded).candidates[0]?.rejected_because).toEqual(["VRAM short: 100 B free < 1000 B needed"]);
    expect(placeTask(auto({ model_size_bytes: 1000 }), [pool("n1", "p1", gpu)], leastLoaded)).toMatchObject({ outcome: "assigned" });
  });
});
