import { describe, expect, it } from "vitest";
import { openDatabase } from "../db/database.js";
import { NodeStore } from "../db/node-store.js";
import { PoolDesiredStore } from "../db/pool-desired-store.js";
import { heartbeatIntervalMs, heartbeatOfflineAfterMs, suspectAfterMs } from "./heartbeat-cadence.js";
import { NodeRegistry, type NodeChange } from "./node-registry.js";
import { PoolDesiredState } from "./pool-desired-state.js";

const DEFAULTS = { heartbeat_interval_ms: 1000, heartbeat_max_per_s: 500, node_suspect_ms: 2500, node_timeout_ms: 5000 };

describe("server-controlled heartbeat interval", () => {
  it("keeps the base for small clusters and stretches it so the cluster stays under the rate limit", () => {
    expect(heartbeatIntervalMs(1, DEFAULTS)).toBe(1000);
    expect(heartbeatIntervalMs(500, DEFAULTS)).toBe(1000);
    expect(heartbeatIntervalMs(700, DEFAULTS)).toBe(1400);
    expect(heartbeatIntervalMs(1000, DEFAULTS)).toBe(2000);
  });

  it("never stretches past what keeps a hung node Suspect and Offline within the configured timeouts", () => {
    const told = heartbeatIntervalMs(100_000, DEFAULTS);
    expect(told).toBe(2000); // 0.4 × the timeout: two missed beats before Offline
    expect(suspectAfterMs(told, DEFAULTS)).toBeLessThan(DEFAULTS.node_timeout_ms);
    const tight = { ...DEFAULTS, node_suspect_ms: 4000 };
    expect(suspectAfterMs(heartbeatIntervalMs(100_000, tight), tight)).toBeLessThan(tight.node_timeout_ms);
    // Short timeouts never shorten the configured base.
    expect(heartbeatIntervalMs(100_000, { ...DEFAULTS, node_suspect_ms: 300, node_timeout_ms: 800 })).toBe(1000);
  });

  it("gives a node told a longer interval a longer suspect threshold, and the configured one otherwise", () => {
    expect(suspectAfterMs(undefined, DEFAULTS)).toBe(2500);
    expect(suspectAfterMs(1000, DEFAULTS)).toBe(2500);
    expect(suspectAfterMs(1800, DEFAULTS)).toBe(4100);
  });
});

describe("a node whose watch connection is live", () => {
  it("is told up to 0.8× the timeout, so its next beat lands before its last keep-alive is timeout-old if the watch drops", () => {
    expect(heartbeatIntervalMs(1000, DEFAULTS, true)).toBe(2000);
    const fleet = { ...DEFAULTS, heartbeat_max_per_s: 250 };
    expect(heartbeatIntervalMs(1000, fleet, true)).toBe(4000);
    expect(heartbeatIntervalMs(1000, fleet, false)).toBe(2000);
    expect(heartbeatIntervalMs(100_000, fleet, true)).toBe(4000);
    expect(heartbeatIntervalMs(10, fleet, true)).toBe(1000);
  });

  function fleetNode() {
    let now = 1_000;
    const db = openDatabase(":memory:");
    const registry = new NodeRegistry(new NodeStore(db), new PoolDesiredState(new PoolDesiredStore(db), () => now), () => now);
    registry.register({ node_id: "n1", machine_id: "m", address: "http://127.0.0.1:9", pools: ["n1.p"], capabilities: { gpus: [] } });
    registry.heartbeat("n1", { timestamp: new Date().toISOString(), pools: [] }, undefined, 4000);
    const timings = { suspectAfterMs: DEFAULTS.node_suspect_ms, offlineAfterMs: DEFAULTS.node_timeout_ms, baseIntervalMs: DEFAULTS.heartbeat_interval_ms };
    /** Advances `ms` in 250 ms sweeps, the watch pinging every second while `pinging`; returns the status. */
    const run = (ms: number, pinging: boolean) => {
      for (let t = 0; t < ms; t += 250) {
        now += 250;
        if (pinging && now % 1000 === 0) registry.watchHeard("n1");
        registry.sweep(timings);
      }
      return registry.get("n1")?.status;
    };
    return { registry, run, beat: () => registry.heartbeat("n1", { timestamp: new Date().toISOString(), pools: [] }, undefined, 4000) };
  }

  it("stays Online between stretched heartbeats on its keep-alives, and a hang is Suspect after node_suspect_ms and Offline after the timeout", () => {
    const { run, beat } = fleetNode();
    for (let i = 0; i < 3; i++) {
      expect(run(4000, true)).toBe("Online");
      beat();
    }
    // Hung: neither heartbeats nor keep-alives. The stretched suspect threshold (8.5 s) does not apply.
    expect(run(2500, false)).toBe("Online");
    expect(run(500, false)).toBe("Suspect");
    expect(run(2000, false)).toBe("Suspect");
    expect(run(1000, false)).toBe("Offline");
  });

  it("without keep-alives, a node told 4 s is judged on its heartbeats alone: one late beat is not Offline, silence past timeout + 2 s is", () => {
    const { run, beat } = fleetNode();
    expect(run(4000, false)).toBe("Online");
    beat();
    // Its watch died after it was told 4 s: the next beat, 1.5 s late, still finds it Online (before: Offline at 5 s).
    expect(run(5500, false)).toBe("Online");
    beat();
    expect(run(7000, false)).toBe("Online");
    expect(run(500, false)).toBe("Offline");
    expect(heartbeatOfflineAfterMs(4000, DEFAULTS)).toBe(7000);
    expect(heartbeatOfflineAfterMs(2000, DEFAULTS)).toBe(5000);
    expect(heartbeatOfflineAfterMs(undefined, DEFAULTS)).toBe(5000);
  });

  it("goes Offline when its heartbeats stop past the stretched timeout although its watch still answers", () => {
    const { registry, run } = fleetNode();
    expect(run(7000, true)).toBe("Online");
    expect(run(500, true)).toBe("Offline");
    expect(registry.events("n1").at(-1)?.message).toMatch(/its watch still answers/);
  });

  it("told the base interval, is Suspect and Offline on heartbeat silence as before, even while its watch pings", () => {
    let now = 1_000;
    const db = openDatabase(":memory:");
    const registry = new NodeRegistry(new NodeStore(db), new PoolDesiredState(new PoolDesiredStore(db), () => now), () => now);
    registry.register({ node_id: "n1", machine_id: "m", address: "http://127.0.0.1:9", pools: ["n1.p"], capabilities: { gpus: [] } });
    registry.heartbeat("n1", { timestamp: new Date().toISOString(), pools: [] }, undefined, 1000);
    const timings = { suspectAfterMs: DEFAULTS.node_suspect_ms, offlineAfterMs: DEFAULTS.node_timeout_ms, baseIntervalMs: DEFAULTS.heartbeat_interval_ms };
    const statusAfter = (ms: number) => {
      for (let t = 0; t < ms; t += 250) {
        now += 250;
        if (now % 1000 === 0) registry.watchHeard("n1");
        registry.sweep(timings);
      }
      return registry.get("n1")?.status;
    };
    expect(statusAfter(2500)).toBe("Online");
    expect(statusAfter(250)).toBe("Suspect");
    expect(statusAfter(2250)).toBe("Suspect");
    expect(statusAfter(250)).toBe("Offline");
  });
});

describe("heartbeats that change nothing placement depends on", () => {
  function setup() {
    let now = 1_000;
    const db = openDatabase(":memory:");
    const registry = new NodeRegistry(new NodeStore(db), new PoolDesiredState(new PoolDesiredStore(db), () => now), () => now);
    const changes: NodeChange[] = [];
    registry.on("changed", (_id, change) => changes.push(change));
    registry.register({ node_id: "n1", machine_id: "m", address: "http://127.0.0.1:9", pools: ["n1.p"], capabilities: { gpus: [] } });
    return { registry, changes, advance: (ms: number) => (now += ms) };
  }
  const pool = { pool_id: "n1.p", ready: true, draining: false, slots_free: 2, slots_total: 2, vram_free_bytes: 100, engine: "sim", models_available: ["a".repeat(64)] };
  const hb = (over: Partial<typeof pool> = {}) => ({ timestamp: new Date().toISOString(), pools: [{ ...pool, ...over }] });

  it("are reported as refreshes; a change of readiness, slots or models is a change of state", () => {
    const { registry, changes } = setup();
    registry.heartbeat("n1", hb());
    changes.length = 0;
    registry.heartbeat("n1", hb({ slots_free: 1, vram_free_bytes: 50 }));
    expect(changes).toEqual(["report"]);
    registry.heartbeat("n1", hb({ ready: false }));
    registry.heartbeat("n1", hb({ ready: false, slots_total: 4 }));
    registry.heartbeat("n1", { ...hb({ ready: false, slots_total: 4 }), models: [] });
    expect(changes).toEqual(["report", "state", "state", "state"]);
  });

  it("keep the sorted node list and the status counts without rebuilding them", () => {
    const { registry } = setup();
    const list = registry.list();
    registry.heartbeat("n1", hb());
    expect(registry.list()).toBe(list);
    expect(registry.countByStatus("Online")).toBe(1);
    expect(registry.liveCount()).toBe(1);
    registry.register({ node_id: "n0", machine_id: "m0", address: "http://127.0.0.1:8", pools: [], capabilities: { gpus: [] } });
    expect(registry.list().map((n) => n.node_id)).toEqual(["n0", "n1"]);
    expect(registry.countByStatus("Registering")).toBe(1);
  });

  it("a node told a longer interval is not Suspect before its stretched threshold", () => {
    const { registry, advance } = setup();
    registry.heartbeat("n1", hb(), undefined, 2000);
    advance(3000);
    const timings = { suspectAfterMs: 2500, offlineAfterMs: 5000, baseIntervalMs: 1000 };
    expect(registry.sweep(timings)).toEqual([]);
    advance(1600);
    expect(registry.sweep(timings)).toEqual(["n1"]);
  });
});
