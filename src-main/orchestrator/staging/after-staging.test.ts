import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { OrchError } from "../../../src-shared/errors/orch-error.js";
import type { PoolDesiredChange } from "../registry/pool-desired-state.js";
import { applyStageThen, checkStageThen, type PoolDesiredWriter } from "./after-staging.js";

const SHA = "a".repeat(64);
const fakeRegistry = (owners: Record<string, string>) => {
  const requests: { poolId: string; change: PoolDesiredChange }[] = [];
  const registry: PoolDesiredWriter = {
    ownerOfPool: (poolId) => (owners[poolId] !== undefined ? { node_id: owners[poolId] } : undefined),
    requestPoolState: (poolId, change) => requests.push({ poolId, change }),
  };
  return { registry, requests };
};
const job = { job_id: "stg-1", sha256: SHA, file_name: "m.gguf", target_node_id: "n1" };
const log = pino({ level: "silent" });

describe("after staging: then.reload_pool", () => {
  it("accepts a pool on one of the targets and refuses an unknown pool or one on another node", () => {
    const { registry } = fakeRegistry({ p1: "n1" });
    expect(checkStageThen({ reload_pool: "p1" }, ["n0", "n1"], registry)).toBe("n1");
    expect(() => checkStageThen({ reload_pool: "p1" }, ["n2"], registry)).toThrow(OrchError);
    expect(() => checkStageThen({ reload_pool: "nope" }, ["n1"], registry)).toThrow(/no registered node serves pool nope/);
  });

  it("asks for the pool to serve the staged model, undrained, only while the pool is on the target", () => {
    const { registry, requests } = fakeRegistry({ p1: "n1", p2: "n2" });
    expect(applyStageThen({ reload_pool: "p1" }, job, registry, log)).toBe(true);
    expect(requests).toEqual([{ poolId: "p1", change: { model: SHA, draining: false } }]);
    expect(applyStageThen({ reload_pool: "p2" }, job, registry, log)).toBe(false);
    expect(requests).toHaveLength(1);
  });
});
