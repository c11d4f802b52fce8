import { describe, expect, it } from "vitest";
import type { PlacementCandidate } from "../placement/placement-types.js";
import { ModelCapacity } from "./model-capacity.js";

const SHA = "a".repeat(64);
const pool = (node: string, over: Partial<PlacementCandidate> = {}): PlacementCandidate => ({ node_id: node, pool_id: `${node}-p0`, node_schedulable: true, node_state: "Online", ready: true, draining: false, slots_total: 1, slots_free: 0, vram_free_bytes: 0, models_available: [SHA], ...over });

describe("ModelCapacity.holderBesides (whether a re-placed task can only wait)", () => {
  it("is true while a schedulable holder the task has not failed on remains", () => {
    const capacity = new ModelCapacity(() => [pool("n1"), pool("n2")]);
    expect(capacity.mustWait(SHA)).toBe(true);
    expect(capacity.holderBesides(SHA, ["n1"])).toBe(true);
  });

  it("is false when every schedulable holder already failed the task: it gets a decision (REPLICA_EXHAUSTED)", () => {
    const capacity = new ModelCapacity(() => [pool("n1"), pool("n2", { node_schedulable: false, node_state: "Suspect" })]);
    expect(capacity.mustWait(SHA)).toBe(true);
    expect(capacity.holderBesides(SHA, ["n1"])).toBe(false);
  });

  it("counts nodes, not pools: two pools of the failed node are still that node", () => {
    const capacity = new ModelCapacity(() => [pool("n1"), pool("n1", { pool_id: "n1-p1" })]);
    expect(capacity.holderBesides(SHA, ["n1"])).toBe(false);
    expect(capacity.holderBesides(SHA, [])).toBe(true);
  });

  it("is false for a model no schedulable node holds", () => {
    const capacity = new ModelCapacity(() => [pool("n1", { models_available: [] })]);
    expect(capacity.holderBesides(SHA, [])).toBe(false);
  });
});

describe("ModelCapacity.mustWait with pools that are down", () => {
  it("does not wait for a pool that is down (circuit_open, failed), only for one that is up or coming up", () => {
    const down = pool("n1", { ready: false, loading: false });
    expect(new ModelCapacity(() => [down]).mustWait(SHA)).toBe(false);
    expect(new ModelCapacity(() => [down]).holderBesides(SHA, [])).toBe(false);
    expect(new ModelCapacity(() => [pool("n1", { ready: false, loading: true })]).mustWait(SHA)).toBe(true);
    expect(new ModelCapacity(() => [pool("n1", { ready: false, loading: false, draining: true })]).mustWait(SHA)).toBe(true);
    expect(new ModelCapacity(() => [down, pool("n2")]).mustWait(SHA)).toBe(true);
  });
});


describe("ModelCapacity with an ejected pool (outlier ejection)", () => {
  const ejected = (node: string, over: Partial<PlacementCandidate> = {}) => pool(node, { ejected: "pool ejected until T after 3 failures in a row before the first token", slots_total: 1e9, slots_free: 1e9, ...over });

  it("does not count an ejected pool's free slots while a ready holder that is not ejected exists: a deep queue just waits", () => {
    // Placement skips the ejected pool and would only answer "wait" for the busy healthy one.
    const capacity = new ModelCapacity(() => [ejected("liar"), pool("n1")]);
    expect(capacity.hasFreeSlot(SHA)).toBe(false);
    expect(capacity.mustWait(SHA)).toBe(true);
    // A re-placed task that has not failed on the healthy node waits for it too.
    expect(capacity.holderBesides(SHA, ["liar"])).toBe(true);
    expect(capacity.holderBesides(SHA, [])).toBe(true);
  });

  it("counts them when the ejected pool is the model's last usable holder (the rule placement uses)", () => {
    expect(new ModelCapacity(() => [ejected("solo")]).mustWait(SHA)).toBe(false);
    expect(new ModelCapacity(() => [ejected("solo"), pool("n1", { node_schedulable: false, node_state: "Offline" })]).hasFreeSlot(SHA)).toBe(true);
    // A healthy holder that is draining or still loading does not keep placement off the ejected pool.
    expect(new ModelCapacity(() => [ejected("solo"), pool("n1", { draining: true })]).mustWait(SHA)).toBe(false);
    expect(new ModelCapacity(() => [ejected("solo"), pool("n1", { ready: false, loading: true })]).mustWait(SHA)).toBe(false);
    // An ejected pool with no free slot is no reason not to wait.
    expect(new ModelCapacity(() => [ejected("solo", { slots_free: 0 })]).mustWait(SHA)).toBe(true);
  });

  it("gives a re-placed task that failed on every healthy holder a decision: placement would take the ejected pool", () => {
    const capacity = new ModelCapacity(() => [ejected("liar"), pool("n1")]);
    expect(capacity.mustWait(SHA)).toBe(true);
    expect(capacity.holderBesides(SHA, ["n1"])).toBe(false);
  });

  it("a healthy free slot counts as before", () => {
    expect(new ModelCapacity(() => [ejected("liar"), pool("n1", { slots_free: 1 })]).hasFreeSlot(SHA)).toBe(true);
  });
});
