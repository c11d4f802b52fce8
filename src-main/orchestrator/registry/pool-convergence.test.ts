import { describe, expect, it } from "vitest";
import type { PoolDesired } from "../../../src-shared/nodes/pool-desired.js";
import type { PoolSnapshot } from "../../../src-shared/nodes/pool-snapshot.js";
import { converge, placementHold } from "./pool-convergence.js";

const A = "a".repeat(64);
const B = "b".repeat(64);
const desired = (over: Partial<PoolDesired> = {}): PoolDesired => ({ pool_id: "p", model: null, slots: null, draining: false, drain_deadline_ms: 5000, updated_at_ms: 0, ...over });
const pool = (over: Partial<PoolSnapshot> = {}): PoolSnapshot => ({ pool_id: "p", ready: true, draining: false, slots_free: 1, slots_total: 1, vram_free_bytes: 0, engine: "llamacpp", models_available: [A], model: { sha256: A, name: "alpha" }, ...over });
const name = (sha: string) => (sha === A ? "alpha" : "beta");

describe("converge (desired vs observed)", () => {
  it("drain: diverged while the pool serves, converged once it drains or stops", () => {
    expect(converge(desired({ draining: true }), pool(), "Online", name)).toEqual({ state: "diverged", action: { kind: "drain", deadline_ms: 5000 }, detail: "draining (requested)" });
    expect(converge(desired({ draining: true }), pool({ draining: true, ready: false }), "Online", name).state).toBe("converged");
    expect(converge(desired({ draining: true }), pool({ ready: false }), "Online", name)).toEqual({ state: "converged", detail: "drained" });
  });

  it("waits while the node is not reporting", () => {
    expect(converge(desired({ draining: true }), undefined, undefined, name)).toEqual({ state: "waiting", detail: "draining (requested); waiting for the node to report" });
    expect(converge(desired({ draining: true }), pool(), "Suspect", name).state).toBe("waiting");
  });

  it("reload: reloads until the pool reports the model, waits through the worker's own drain", () => {
    expect(converge(desired({ model: B }), pool(), "Online", name)).toEqual({ state: "diverged", action: { kind: "reload", model: B, deadline_ms: 5000 }, detail: "reloading to beta" });
    expect(converge(desired({ model: B }), pool({ draining: true, ready: false }), "Online", name)).toEqual({ state: "waiting", detail: "reloading to beta (worker draining)" });
    expect(converge(desired({ model: B }), pool({ model: { sha256: B, name: "beta" } }), "Online", name)).toEqual({ state: "converged", detail: "serving beta" });
  });

  it("resume: a pool that does not serve gets its model back (the reconciler checks it is stopped, not loading)", () => {
    expect(converge(desired(), pool({ ready: false }), "Online", name)).toMatchObject({ state: "diverged", action: { kind: "resume", model: A } });
    expect(converge(desired(), pool({ ready: false, draining: true }), "Online", name).state).toBe("waiting");
    expect(converge(desired(), pool({ ready: false, model: undefined }), "Online", name).state).toBe("waiting");
    expect(converge(desired(), pool(), "Online", name)).toEqual({ state: "converged", detail: "serving" });
  });

  it("reports slots it cannot enforce instead of pretending to converge", () => {
    expect(converge(desired({ slots: 4 }), pool(), "Online", name).state).toBe("waiting");
    expect(converge(desired({ slots: 1 }), pool(), "Online", name).state).toBe("converged");
  });
});

describe("placementHold", () => {
  it("holds placements from the moment of the request, until a reload is reported and while a drain stands", () => {
    expect(placementHold(undefined, pool())).toBeNull();
    expect(placementHold(desired({ draining: true }), pool())).toBe("draining (requested)");
    expect(placementHold(desired({ model: B }), pool())).toBe("reloading (requested)");
    expect(placementHold(desired({ model: B }), pool({ model: { sha256: B, name: "beta" } }))).toBeNull();
    expect(placementHold(desired(), pool())).toBeNull();
  });
});
