import { describe, expect, it } from "vitest";
import type { HeartbeatRequest } from "../../../src-shared/nodes/heartbeat.js";
import type { PoolSnapshot } from "../../../src-shared/nodes/pool-snapshot.js";
import { openDatabase, type Db } from "../db/database.js";
import { NodeStore } from "../db/node-store.js";
import { PoolDesiredStore } from "../db/pool-desired-store.js";
import { createLogger } from "../logging/logger.js";
import { OrchestratorMetrics } from "../metrics/orchestrator-metrics.js";
import { NodeRegistry } from "./node-registry.js";
import type { PoolCommander } from "./pool-commander.js";
import { PoolDesiredState } from "./pool-desired-state.js";
import { PoolReconciler, reconcileBackoffMs } from "./pool-reconciler.js";

const A = "a".repeat(64);
const B = "b".repeat(64);

interface Sent {
  command: string;
  body: unknown;
}

/** A worker stand-in: answers with the queued statuses (default 202) or throws when unreachable. */
function fakeCommander(answers: (number | "unreachable")[] = [], states: string[] = []) {
  const sent: Sent[] = [];
  let release: (() => void) | null = null;
  const commander: PoolCommander & { hold: boolean } = {
    hold: false,
    command: async (_node: unknown, _poolId: string, command: string, body: unknown) => {
      sent.push({ command, body });
      if (commander.hold) await new Promise<void>((r) => (release = r));
      const answer = answers.shift() ?? 202;
      if (answer === "unreachable") throw new Error("connect ECONNREFUSED");
      return { status: answer, body: { message: `answer ${answer}` } };
    },
    state: async () => states.shift() ?? "stopped",
  };
  return { commander, sent, release: () => release?.() };
}

function setup(db: Db = openDatabase(":memory:"), answers: (number | "unreachable")[] = [], states: string[] = []) {
  const clock = { now: 10_000 };
  const now = () => clock.now;
  const desired = new PoolDesiredState(new PoolDesiredStore(db), now);
  const registry = new NodeRegistry(new NodeStore(db), desired, now);
  const fake = fakeCommander(answers, states);
  const reconciler = new PoolReconciler(registry, desired, fake.commander, new OrchestratorMetrics("test"), createLogger("silent", "test"), now);
  return { db, clock, desired, registry, reconciler, ...fake };
}

const pool = (over: Partial<PoolSnapshot> = {}): PoolSnapshot => ({ pool_id: "p", ready: true, draining: false, slots_free: 1, slots_total: 1, vram_free_bytes: 0, engine: "llamacpp", models_available: [A], model: { sha256: A, name: "alpha" }, ...over });
const hb = (p: PoolSnapshot): HeartbeatRequest => ({ timestamp: new Date().toISOString(), pools: [p] });
const settle = () => new Promise((r) => setImmediate(r));

function online(s: ReturnType<typeof setup>, p: PoolSnapshot = pool()) {
  s.registry.register({ node_id: "n", machine_id: "m", address: "http://127.0.0.1:9", pools: ["p"], capabilities: { gpus: [] } });
  s.registry.heartbeat("n", hb(p));
}

describe("PoolReconciler", () => {
  it("drain: sends the command at once, converges when the worker reports it, and sends nothing more", async () => {
    const s = setup();
    online(s);
    s.registry.requestPoolState("p", { draining: true, drain_deadline_ms: 2000 }, "drain requested");
    await settle();
    expect(s.sent).toEqual([{ command: "drain", body: { deadline_ms: 2000 } }]);
    expect(s.registry.poolDesiredStatus("p")?.convergence).toMatchObject({ converged: false, pending: "drain", attempts: 1, last_error: null });
    s.registry.heartbeat("n", hb(pool({ ready: false, draining: true })));
    s.clock.now += 60_000;
    s.registry.heartbeat("n", hb(pool({ ready: false })));
    await settle();
    expect(s.sent).toHaveLength(1);
    expect(s.registry.poolDesiredStatus("p")?.convergence).toMatchObject({ converged: true, detail: "drained", next_attempt_ms: null });
  });

  it("keeps one command in flight per pool and backs off between attempts that do not converge", async () => {
    const s = setup(undefined, ["unreachable", 503, 202]);
    online(s);
    s.commander.hold = true;
    s.registry.requestPoolState("p", { draining: true }, "drain requested");
    for (let i = 0; i < 5; i++) s.registry.heartbeat("n", hb(pool()));
    await settle();
    expect(s.sent).toHaveLength(1);
    s.commander.hold = false;
    s.release();
    await settle();
    const first = s.registry.poolDesiredStatus("p")?.convergence;
    expect(first?.last_error).toMatch(/drain did not reach node n: connect ECONNREFUSED/);
    expect(first?.next_attempt_ms).toBe(10_000 + reconcileBackoffMs(1));
    s.registry.heartbeat("n", hb(pool()));
    await settle();
    expect(s.sent).toHaveLength(1);
    s.clock.now += reconcileBackoffMs(1);
    s.registry.heartbeat("n", hb(pool()));
    await settle();
    expect(s.sent).toHaveLength(2);
    expect(s.registry.poolDesiredStatus("p")?.convergence.last_error).toMatch(/HTTP 503/);
    s.clock.now += reconcileBackoffMs(2) - 1;
    s.registry.heartbeat("n", hb(pool()));
    await settle();
    expect(s.sent).toHaveLength(2);
    s.clock.now += 1;
    s.registry.heartbeat("n", hb(pool()));
    await settle();
    expect(s.sent).toHaveLength(3);
    expect(s.registry.poolDesiredStatus("p")?.convergence).toMatchObject({ attempts: 3, last_error: null });
    expect(reconcileBackoffMs(20)).toBe(30_000);
  });

  it("reload: a 409 (reload under way) is not an error; converged when the pool reports the model", async () => {
    const s = setup(undefined, [409]);
    online(s);
    s.registry.requestPoolState("p", { model: B }, "reload requested");
    await settle();
    expect(s.sent).toEqual([{ command: "reload", body: { model: `sha256:${B}`, drain_deadline_ms: 30_000 } }]);
    expect(s.registry.poolDesiredStatus("p")?.convergence.last_error).toBeNull();
    s.registry.heartbeat("n", hb(pool({ model: { sha256: B, name: "beta" }, models_available: [B] })));
    expect(s.registry.poolDesiredStatus("p")?.convergence.converged).toBe(true);
    expect(s.registry.placementHold(pool())).toBe("reloading (requested)");
  });

  it("resume: reloads the pool's model only when the worker says the pool is stopped, not while it loads", async () => {
    const s = setup(undefined, [], ["loading", "stopped"]);
    online(s, pool({ ready: false }));
    s.registry.requestPoolState("p", { draining: false }, "resume requested");
    await settle();
    expect(s.sent).toEqual([]);
    s.clock.now += reconcileBackoffMs(1);
    s.registry.heartbeat("n", hb(pool({ ready: false })));
    await settle();
    expect(s.sent).toEqual([{ command: "reload", body: { model: `sha256:${A}`, drain_deadline_ms: 30_000 } }]);
  });

  it("desired state survives a restart and is reconciled when the node next reports", async () => {
    const first = setup();
    first.registry.requestPoolState("p", { draining: true }, "drain requested while the node is away");
    first.reconciler.close();
    const second = setup(first.db);
    expect(second.registry.poolDesired("p")).toMatchObject({ draining: true });
    expect(second.registry.placementHold(pool())).toBe("draining (requested)");
    online(second);
    await settle();
    expect(second.sent).toEqual([{ command: "drain", body: { deadline_ms: 30_000 } }]);
  });
});
