import { describe, expect, it } from "vitest";
import type { NodeStatus } from "../../../src-shared/nodes/node-info.js";
import type { RegisterNodeRequest } from "../../../src-shared/nodes/node-registration.js";
import { openDatabase } from "../db/database.js";
import { NodeStore } from "../db/node-store.js";
import { PoolDesiredStore } from "../db/pool-desired-store.js";
import type { NodeEvent } from "./node-event.js";
import { NodeRegistry } from "./node-registry.js";
import { NODE_STATUS_TRANSITIONS, nextNodeStatus, type NodeStatusCause } from "./node-status.js";
import { PoolDesiredState } from "./pool-desired-state.js";

const CAUSES: NodeStatusCause[] = ["register", "heartbeat", "connection_lost", "heartbeats_missed", "heartbeat_timeout", "credential_revoked"];

describe("node status transition table", () => {
  it("is exactly Registering → Online ⇄ Suspect → Offline, with register starting over from anywhere and a revoked key taking any live node Offline", () => {
    const table: Record<string, Record<string, NodeStatus | null>> = {};
    for (const from of Object.keys(NODE_STATUS_TRANSITIONS) as NodeStatus[]) {
      table[from] = Object.fromEntries(CAUSES.map((c) => [c, nextNodeStatus(from, c)]));
    }
    expect(table).toEqual({
      Registering: { register: "Registering", heartbeat: "Online", connection_lost: "Suspect", heartbeats_missed: "Suspect", heartbeat_timeout: "Offline", credential_revoked: "Offline" },
      Online: { register: "Registering", heartbeat: "Online", connection_lost: "Suspect", heartbeats_missed: "Suspect", heartbeat_timeout: "Offline", credential_revoked: "Offline" },
      Suspect: { register: "Registering", heartbeat: "Online", connection_lost: null, heartbeats_missed: null, heartbeat_timeout: "Offline", credential_revoked: "Offline" },
      Offline: { register: "Registering", heartbeat: null, connection_lost: null, heartbeats_missed: null, heartbeat_timeout: null, credential_revoked: null },
    });
  });
});

function setup() {
  let now = 1_000;
  const db = openDatabase(":memory:");
  const registry = new NodeRegistry(new NodeStore(db), new PoolDesiredState(new PoolDesiredStore(db), () => now), () => now);
  const events: NodeEvent[] = [];
  const lost: string[] = [];
  registry.on("event", (_id, e) => events.push(e));
  registry.on("lost", (_id, reason) => lost.push(reason));
  const reg: RegisterNodeRequest = { node_id: "n1", machine_id: "m", address: "http://127.0.0.1:9", pools: ["n1.p"], capabilities: { gpus: [] } };
  const hb = { timestamp: new Date().toISOString(), pools: [] };
  return { registry, events, lost, reg, hb, db, advance: (ms: number) => (now += ms) };
}
const timings = { suspectAfterMs: 1500, offlineAfterMs: 5000 };

describe("registry transitions (all through the one transition function)", () => {
  it("a revoked credential takes its nodes Offline at once (their tasks fail over), and only its own", () => {
    const { registry, reg, hb, lost } = setup();
    registry.register(reg, undefined, "key:a");
    registry.heartbeat("n1", hb, "key:a");
    registry.register({ ...reg, node_id: "n2", pools: ["n2.p"] }, undefined, "key:b");
    registry.heartbeat("n2", hb, "key:b");
    expect(registry.credentialRevoked("key:a")).toEqual(["n1"]);
    expect(registry.get("n1")?.status).toBe("Offline");
    expect(registry.get("n2")?.status).toBe("Online");
    expect(lost).toEqual(["node offline (its key was revoked)"]);
    expect(registry.credentialRevoked("key:a")).toEqual([]);
  });

  it("a connection opened before the node came back Online does not mark it Suspect again (its failure is over)", () => {
    const { registry, reg, hb, advance } = setup();
    registry.register(reg);
    registry.heartbeat("n1", hb);
    const opened = registry.onlineEpoch("n1");
    // The node stalls (SIGSTOP): heartbeats stop, it goes Suspect, then resumes and heartbeats again.
    advance(2000);
    registry.sweep(timings);
    expect(registry.get("n1")?.status).toBe("Suspect");
    registry.heartbeat("n1", hb);
    expect(registry.get("n1")?.status).toBe("Online");
    // The task stream opened before the stall fails only now: stale, the recovered node stays Online.
    registry.markSuspect("n1", "worker stream went silent", opened);
    expect(registry.get("n1")?.status).toBe("Online");
    // A connection opened since the recovery that fails does count.
    registry.markSuspect("n1", "connection reset", registry.onlineEpoch("n1"));
    expect(registry.get("n1")?.status).toBe("Suspect");
  });

  it("a broken task stream marks the node Suspect only when its watch cannot vouch for it", () => {
    const { registry, lost, reg, hb } = setup();
    registry.register(reg);
    registry.heartbeat("n1", hb);
    let vouching = true;
    registry.watchVouches = (nodeId) => nodeId === "n1" && vouching;
    // The watch is live: one cut stream is that stream's fault; the node's other work is not failed over.
    expect(registry.taskStreamLost("n1", "worker stream broke: the connection closed", registry.onlineEpoch("n1"))).toBe(false);
    expect(registry.get("n1")?.status).toBe("Online");
    expect(lost).toEqual([]);
    // No live watch (dropped or silent): the break counts as it always did.
    vouching = false;
    expect(registry.taskStreamLost("n1", "worker stream broke: the connection closed", registry.onlineEpoch("n1"))).toBe(true);
    expect(registry.get("n1")?.status).toBe("Suspect");
    expect(lost).toHaveLength(1);
  });

  it("records every transition as a node event with from/to, and fails work over when a node is lost", () => {
    const { registry, events, lost, reg, hb, advance } = setup();
    registry.register(reg);
    expect(registry.heartbeat("n1", hb)).toBe(true);
    advance(2000);
    expect(registry.sweep(timings)).toEqual(["n1"]);
    expect(registry.sweep(timings)).toEqual([]);
    expect(registry.heartbeat("n1", hb)).toBe(true);
    registry.markSuspect("n1", "connection to the node dropped");
    registry.markSuspect("n1", "again");
    advance(6000);
    registry.sweep(timings);
    expect(registry.heartbeat("n1", hb)).toBe(false);
    registry.register(reg);
    expect(events.map((e) => [e.kind, e.from, e.to])).toEqual([
      ["registered", "Registering", "Registering"],
      ["online", "Registering", "Online"],
      ["suspect", "Online", "Suspect"],
      ["recovered", "Suspect", "Online"],
      ["suspect", "Online", "Suspect"],
      ["offline", "Suspect", "Offline"],
      ["registered", "Offline", "Registering"],
    ]);
    expect(events[2]?.message).toBe("Online → Suspect: no heartbeat for 2000 ms");
    expect(lost).toHaveLength(3);
    expect(registry.get("n1")?.status).toBe("Registering");
  });

  it("keeps eligibility apart from status, persisted across a restart", () => {
    const { registry, reg, hb, db } = setup();
    registry.register(reg);
    registry.heartbeat("n1", hb);
    registry.setEligibility("n1", "ineligible");
    expect(registry.get("n1")).toMatchObject({ status: "Online", eligibility: "ineligible" });
    expect(registry.describe(registry.get("n1")!, 0)).toMatchObject({ status: "Online", eligibility: "ineligible" });
    const restarted = new NodeRegistry(new NodeStore(db), new PoolDesiredState(new PoolDesiredStore(db)));
    expect(restarted.get("n1")).toMatchObject({ status: "Offline", eligibility: "ineligible" });
    expect(restarted.events("n1").map((e) => e.kind)).toEqual(["registered", "online", "drained"]);
    expect(restarted.events("n1")[1]).toMatchObject({ from: "Registering", to: "Online" });
    restarted.register(reg);
    expect(restarted.get("n1")?.eligibility).toBe("ineligible");
  });
});

describe("liveness and the wall clock", () => {
  it("judges heartbeat silence on the monotonic clock: a wall-clock step neither expires nor extends it", () => {
    let wall = 1_000_000;
    let elapsed = 0;
    const db = openDatabase(":memory:");
    const registry = new NodeRegistry(new NodeStore(db), new PoolDesiredState(new PoolDesiredStore(db), () => wall), () => wall, () => elapsed);
    const reg: RegisterNodeRequest = { node_id: "n1", machine_id: "m", address: "http://127.0.0.1:9", pools: ["n1.p"], capabilities: { gpus: [] } };
    registry.register(reg);
    registry.heartbeat("n1", { timestamp: new Date().toISOString(), pools: [] });
    // +2 min on the wall clock, 100 ms really passed: still Online.
    wall += 120_000;
    elapsed += 100;
    expect(registry.sweep(timings)).toEqual([]);
    expect(registry.get("n1")?.status).toBe("Online");
    // Back 1 h on the wall clock while the node really is silent for 6 s: Offline all the same.
    wall -= 3_600_000;
    elapsed += 6_000;
    registry.sweep(timings);
    expect(registry.get("n1")?.status).toBe("Offline");
  });
});

describe("liveness and the orchestrator's own pauses", () => {
  /** One Online node on a registry whose steady clock the test moves (`advance`), swept every 250 ms. */
  function sweptNode() {
    let elapsed = 0;
    const db = openDatabase(":memory:");
    const registry = new NodeRegistry(new NodeStore(db), new PoolDesiredState(new PoolDesiredStore(db), () => 1_000_000), () => 1_000_000, () => elapsed);
    const reg: RegisterNodeRequest = { node_id: "n1", machine_id: "m", address: "http://127.0.0.1:9", pools: ["n1.p"], capabilities: { gpus: [] } };
    registry.register(reg);
    registry.heartbeat("n1", { timestamp: new Date().toISOString(), pools: [] });
    const swept = { ...timings, sweepIntervalMs: 250 };
    registry.sweep(swept);
    return { registry, swept, advance: (ms: number) => (elapsed += ms) };
  }

  it("a gap between sweeps (the orchestrator stopped) is not the nodes' silence; silence after it is", () => {
    const { registry, swept, advance } = sweptNode();
    // 8 s without a sweep: the orchestrator was not running; the node's heartbeats wait unread.
    advance(8000);
    expect(registry.sweep(swept)).toEqual([]);
    expect(registry.get("n1")?.status).toBe("Online");
    // The node stays silent once the orchestrator runs again (sweeps every 250 ms): Offline after the timeout.
    for (let i = 0; i < 24; i++) {
      advance(250);
      registry.sweep(swept);
    }
    expect(registry.get("n1")?.status).toBe("Offline");
  });
  it("a heartbeat read right after the orchestrator's own stall does not bring a Suspect node back (it may have waited out the stall); the next one does", () => {
    const { registry, swept, advance } = sweptNode();
    const beat = () => registry.heartbeat("n1", { timestamp: new Date().toISOString(), pools: [] });
    for (let i = 0; i < 8; i++) {
      advance(250);
      registry.sweep(swept);
    }
    expect(registry.get("n1")?.status).toBe("Suspect");
    // The orchestrator is stopped for 5 s; the node's last beats wait in the socket and are read before
    // the late sweep runs (libuv polls I/O first after a SIGCONT), then once more in the next turn.
    advance(5000);
    expect(beat()).toBe(true);
    expect(registry.get("n1")?.status).toBe("Suspect");
    registry.sweep(swept);
    advance(100);
    beat();
    expect(registry.get("n1")?.status).toBe("Suspect");
    // A beat a cadence later is fresh: the node is back.
    advance(300);
    registry.sweep(swept);
    beat();
    expect(registry.get("n1")?.status).toBe("Online");
    // Without a stall a Suspect node comes back on its first beat.
    for (let i = 0; i < 8; i++) {
      advance(250);
      registry.sweep(swept);
    }
    expect(registry.get("n1")?.status).toBe("Suspect");
    advance(100);
    beat();
    expect(registry.get("n1")?.status).toBe("Online");
  });

  it("an orchestrator late at every sweep (overloaded) still finds a silent node Offline", () => {
    const { registry, swept, advance } = sweptNode();
    for (let i = 0; i < 8 && registry.get("n1")?.status !== "Offline"; i++) {
      advance(2000);
      registry.sweep(swept);
    }
    expect(registry.get("n1")?.status).toBe("Offline");
  });
});
