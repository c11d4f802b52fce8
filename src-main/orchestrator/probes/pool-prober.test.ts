import pino from "pino";
import { describe, expect, it, vi } from "vitest";
import { openDatabase } from "../db/database.js";
import { NodeStore } from "../db/node-store.js";
import { PoolDesiredStore } from "../db/pool-desired-store.js";
import { OrchestratorMetrics } from "../metrics/orchestrator-metrics.js";
import { NodeRegistry } from "../registry/node-registry.js";
import { PoolDesiredState } from "../registry/pool-desired-state.js";
import { PoolProber } from "./pool-prober.js";
import { probeIntervalMs } from "./probe-cadence.js";

const SETTINGS = { pool_probe_interval_ms: 10_000, pool_probe_max_per_s: 20 };

/** A prober over `nodes` registered nodes of one pool each, whose probes are counted, never sent. */
function setup(nodes: number) {
  const db = openDatabase(":memory:");
  const registry = new NodeRegistry(new NodeStore(db), new PoolDesiredState(new PoolDesiredStore(db), () => 0), () => 0);
  for (let i = 0; i < nodes; i++) registry.register({ node_id: `n${i}`, machine_id: `m${i}`, address: "http://127.0.0.1:9", pools: [`n${i}.p`], capabilities: { gpus: [] } });
  const prober = new PoolProber(registry, new OrchestratorMetrics("test"), () => undefined, pino({ level: "silent" }));
  const probed: string[] = [];
  vi.spyOn(prober, "probe").mockImplementation((nodeId, poolId) => {
    probed.push(poolId);
    return Promise.resolve({ pool_id: poolId, node_id: nodeId, checked_at_ms: 0, ok: true, status: null, error: null, duration_ms: 0 });
  });
  /** Runs `n` slices (250 ms each) of the prober's schedule. */
  const slices = async (n: number) => {
    for (let i = 0; i < n; i++) await prober.probeSlice(SETTINGS);
  };
  return { prober, probed, slices };
}

describe("pool probe cadence", () => {
  it("keeps the configured interval for small clusters and stretches it so the cluster stays under the probe rate", () => {
    expect(probeIntervalMs(1, SETTINGS)).toBe(10_000);
    expect(probeIntervalMs(200, SETTINGS)).toBe(10_000);
    expect(probeIntervalMs(1000, SETTINGS)).toBe(50_000);
    expect(probeIntervalMs(1000, { ...SETTINGS, pool_probe_interval_ms: 0 })).toBe(0);
  });

  it("probes 1,000 pools at 20 per second, each once per stretched round, in order", async () => {
    const { prober, probed, slices } = setup(1000);
    await slices(4); // one second
    expect(probed).toHaveLength(20);
    await slices(196); // the rest of the 50 s round
    expect(probed).toHaveLength(1000);
    expect(new Set(probed).size).toBe(1000);
    expect(prober.intervalMs).toBe(50_000);
  });

  it("probes a lone pool once per configured interval, not once per slice", async () => {
    const { probed, slices } = setup(1);
    await slices(39);
    expect(probed).toHaveLength(0);
    await slices(1); // 40 slices = 10 s
    expect(probed).toEqual(["n0.p"]);
    await slices(40);
    expect(probed).toHaveLength(2);
  });
});
