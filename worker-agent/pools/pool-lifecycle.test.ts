import { describe, expect, it } from "vitest";
import { PoolStateSchema } from "../../src-shared/worker-api/pool-status.js";
import { createLogger } from "../logging/logger.js";
import { IllegalTransitionError, POOL_PHASES, POOL_TRANSITIONS, PoolLifecycle, RELOAD_PHASES, WIRE_STATE, type PoolPhase } from "./pool-lifecycle.js";

const log = createLogger("silent");

/** Shortest legal path from stopped to `target` (every phase must be reachable). */
function pathTo(target: PoolPhase): PoolPhase[] {
  const previous = new Map<PoolPhase, PoolPhase | null>([["stopped", null]]);
  const queue: PoolPhase[] = ["stopped"];
  while (queue.length > 0) {
    const at = queue.shift() as PoolPhase;
    if (at === target) break;
    for (const next of POOL_TRANSITIONS[at]) {
      if (previous.has(next)) continue;
      previous.set(next, at);
      queue.push(next);
    }
  }
  if (!previous.has(target)) throw new Error(`${target} is unreachable`);
  const path: PoolPhase[] = [];
  for (let at: PoolPhase | null = target; at !== null && at !== "stopped"; at = previous.get(at) ?? null) path.unshift(at);
  return path;
}

function lifecycleIn(phase: PoolPhase): PoolLifecycle {
  const lifecycle = new PoolLifecycle(log, true);
  for (const step of pathTo(phase)) lifecycle.transition(step, "test setup");
  expect(lifecycle.phase).toBe(phase);
  return lifecycle;
}

const allowed = POOL_PHASES.flatMap((from) => POOL_TRANSITIONS[from].map((to) => [from, to] as const));
const illegal = POOL_PHASES.flatMap((from) => POOL_PHASES.filter((to) => !POOL_TRANSITIONS[from].includes(to)).map((to) => [from, to] as const));

describe("pool lifecycle transition table", () => {
  it.each(allowed)("%s → %s is allowed and emits changed", (from, to) => {
    const lifecycle = lifecycleIn(from);
    const seen: [PoolPhase, PoolPhase][] = [];
    lifecycle.on("changed", (a, b) => seen.push([a, b]));
    expect(lifecycle.transition(to, "test")).toBe(true);
    expect(lifecycle.phase).toBe(to);
    expect(seen).toEqual([[from, to]]);
  });

  it.each(illegal)("%s → %s is rejected and changes nothing", (from, to) => {
    const lifecycle = lifecycleIn(from);
    let changed = 0;
    lifecycle.on("changed", () => changed++);
    expect(() => lifecycle.transition(to, "test")).toThrow(IllegalTransitionError);
    expect(lifecycle.phase).toBe(from);
    expect(changed).toBe(0);
  });

  it("has no self-transitions: every transition is a real change", () => {
    for (const from of POOL_PHASES) expect(POOL_TRANSITIONS[from]).not.toContain(from);
  });

  it("refuses (without throwing) an illegal transition when not strict, and logs it", () => {
    const lines: string[] = [];
    const recording = createLogger("error").child({});
    recording.error = ((obj: unknown, msg?: string) => void lines.push(`${msg ?? ""} ${JSON.stringify(obj)}`)) as typeof recording.error;
    const lifecycle = new PoolLifecycle(recording, false);
    expect(lifecycle.transition("ready", "bug")).toBe(false);
    expect(lifecycle.phase).toBe("stopped");
    expect(lines.join("\n")).toMatch(/illegal pool transition refused.*"from":"stopped","to":"ready"/);
  });

  it("a reload cannot start while one runs (the agent answers CONFLICT)", () => {
    for (const phase of RELOAD_PHASES) expect(lifecycleIn(phase).can("reload_draining")).toBe(false);
    expect(lifecycleIn("stopping").can("reload_draining")).toBe(false);
    for (const phase of ["stopped", "loading", "ready", "backoff", "circuit_open", "failed", "draining"] as const) expect(lifecycleIn(phase).can("reload_draining")).toBe(true);
  });

  it("a drain may interrupt loading and every reload step; nothing but stopped follows stopping", () => {
    for (const phase of ["loading", "ready", "backoff", "circuit_open", "failed", "reload_draining", "reload_loading", "rollback_loading"] as const) {
      expect(lifecycleIn(phase).can("draining"), phase).toBe(true);
    }
    expect(POOL_TRANSITIONS.stopping).toEqual(["stopped"]);
    // Only a load makes a pool ready; a failed reload goes to rollback or failed, never back to serving the target.
    expect(POOL_PHASES.filter((p) => POOL_TRANSITIONS[p].includes("ready"))).toEqual(["loading", "reload_loading", "rollback_loading"]);
    expect(POOL_PHASES.filter((p) => POOL_TRANSITIONS[p].includes("rollback_loading"))).toEqual(["reload_loading"]);
  });

  it("keeps last_error unless a transition sets it", () => {
    const lifecycle = lifecycleIn("ready");
    lifecycle.transition("backoff", "crash", "engine killed by SIGKILL");
    lifecycle.transition("loading", "restart");
    expect(lifecycle.lastError).toBe("engine killed by SIGKILL");
    lifecycle.transition("ready", "loaded", null);
    expect(lifecycle.lastError).toBeNull();
  });

  it("maps every phase to a wire state, and produces every wire state", () => {
    expect(new Set(Object.values(WIRE_STATE))).toEqual(new Set(PoolStateSchema.options));
    expect(POOL_PHASES.filter((p) => WIRE_STATE[p] === "draining")).toEqual(["draining", "reload_draining"]);
    expect(lifecycleIn("rollback_loading").wireState).toBe("loading");
  });
});
