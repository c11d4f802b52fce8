import { describe, expect, it } from "vitest";
import { openDatabase } from "../db/database.js";
import { NodeStore } from "../db/node-store.js";
import { PoolDesiredStore } from "../db/pool-desired-store.js";
import { PoolEjections } from "../scheduling/pool-ejections.js";
import { NodeRegistry } from "./node-registry.js";
import { PoolDesiredState } from "./pool-desired-state.js";

// Per-pool state elsewhere (the scheduler's outlier ejections) is dropped when a pool leaves the cluster.
describe("NodeRegistry poolGone", () => {
  it("names the pools of a node that is forgotten or deregistered, and an ejection listening to it forgets them", () => {
    const db = openDatabase(":memory:");
    const registry = new NodeRegistry(new NodeStore(db), new PoolDesiredState(new PoolDesiredStore(db), () => Date.now()), () => Date.now());
    const ejections = new PoolEjections(() => ({ consecutive: 1, base_ms: 60_000, max_ms: 60_000 }), () => 1000);
    const gone: string[] = [];
    registry.on("poolGone", (poolId) => (gone.push(poolId), ejections.forget(poolId)));
    for (const id of ["a", "b"]) registry.register({ node_id: id, machine_id: id, address: "http://127.0.0.1:9", pools: [`${id}.p0`, `${id}.p1`], capabilities: { gpus: [] }, models: [] });
    expect(ejections.failed("a.p0")).not.toBeNull();
    expect(ejections.reasonFor("a.p0", 1000)).toBeDefined();

    registry.forget("a", "test");
    expect(gone).toEqual(["a.p0", "a.p1"]);
    expect(ejections.reasonFor("a.p0", 1000)).toBeUndefined();
    expect(registry.deregister("b")).toBe(true);
    expect(gone).toEqual(["a.p0", "a.p1", "b.p0", "b.p1"]);
  });
});
