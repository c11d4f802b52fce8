import { EventEmitter } from "node:events";
import type { PoolState } from "../../src-shared/worker-api/pool-status.js";
import type { Logger } from "../logging/logger.js";

// The lifecycle of a llama.cpp pool as one declared state machine. The phases are internal: the
// reload steps are told apart so that "is a reload running" and "is a failure supervised" follow
// from the phase alone; the wire (status, heartbeats, dashboard) sees only PoolState.

export const POOL_PHASES = [
  "stopped", // never started, drained, or stopped
  "loading", // engine starting to serve (first start, restart after backoff, breaker trial)
  "ready",
  "backoff", // waiting to restart after a crash or load failure
  "circuit_open", // too many failures: restarts paused until the breaker's trial
  "failed", // gave up: model missing, too large, or a reload with nothing to roll back to
  "draining", // operator drain: in-flight work may finish until the deadline, then the engine stops
  "reload_draining", // reload step 1: the same drain, then the target loads
  "reload_loading", // reload step 2: the target loads; its failure rolls back instead of restarting
  "rollback_loading", // reload step 3: the previous model loads again, supervised like loading
  "stopping", // stop(): in-flight tasks fail, the engine stops
] as const;
export type PoolPhase = (typeof POOL_PHASES)[number];

/** What the orchestrator and the dashboard see for each phase. */
export const WIRE_STATE: Readonly<Record<PoolPhase, PoolState>> = {
  stopped: "stopped",
  loading: "loading",
  ready: "ready",
  backoff: "backoff",
  circuit_open: "circuit_open",
  failed: "failed",
  draining: "draining",
  reload_draining: "draining",
  reload_loading: "loading",
  rollback_loading: "loading",
  stopping: "stopped",
};

// A drain or a stop may interrupt anything (the operator's last command wins: a drain during a
// reload cancels the reload); a reload may start from any phase that is not already a reload or a stop.
const INTERRUPTIBLE = ["draining", "reload_draining", "stopping"] as const;

/** Every legal transition. Anything else is a bug and is rejected. */
export const POOL_TRANSITIONS: Readonly<Record<PoolPhase, readonly PoolPhase[]>> = {
  stopped: ["loading", "failed", "reload_draining"],
  loading: ["ready", "backoff", "circuit_open", "failed", ...INTERRUPTIBLE],
  ready: ["backoff", "circuit_open", ...INTERRUPTIBLE],
  backoff: ["loading", ...INTERRUPTIBLE],
  circuit_open: ["loading", ...INTERRUPTIBLE],
  failed: ["loading", ...INTERRUPTIBLE],
  draining: ["stopped", "reload_draining", "stopping"],
  reload_draining: ["reload_loading", "draining", "stopping"],
  reload_loading: ["ready", "rollback_loading", "failed", "draining", "stopping"],
  rollback_loading: ["ready", "backoff", "circuit_open", "failed", "draining", "stopping"],
  stopping: ["stopped"],
};

export const RELOAD_PHASES: readonly PoolPhase[] = ["reload_draining", "reload_loading", "rollback_loading"];

export class IllegalTransitionError extends Error {
  constructor(
    readonly from: PoolPhase,
    readonly to: PoolPhase,
    reason: string,
  ) {
    super(`illegal pool transition ${from} → ${to} (${reason})`);
    this.name = "IllegalTransitionError";
  }
}

/**
 * Holds the phase and the last error, applies transitions from the table and emits "changed"
 * (from, to) on each. An illegal transition is logged at error level; it throws when strict (under
 * tests, so a bug fails the test) and is otherwise refused, leaving the phase as it was, so that
 * a bug cannot take the agent down.
 */
export class PoolLifecycle extends EventEmitter<{ changed: [from: PoolPhase, to: PoolPhase] }> {
  private current: PoolPhase = "stopped";
  private error: string | null = null;

  constructor(
    private readonly log: Logger,
    private readonly strict: boolean = process.env.VITEST !== undefined,
  ) {
    super();
  }

  get phase(): PoolPhase {
    return this.current;
  }

  get wireState(): PoolState {
    return WIRE_STATE[this.current];
  }

  get lastError(): string | null {
    return this.error;
  }

  is(...phases: readonly PoolPhase[]): boolean {
    return phases.includes(this.current);
  }

  can(to: PoolPhase): boolean {
    return POOL_TRANSITIONS[this.current].includes(to);
  }

  /** lastError: the new last_error; undefined keeps the current one. Returns false when refused. */
  transition(to: PoolPhase, reason: string, lastError?: string | null): boolean {
    const from = this.current;
    if (!this.can(to)) {
      const error = new IllegalTransitionError(from, to, reason);
      this.log.error({ from, to, reason, stack: error.stack }, "illegal pool transition refused");
      if (this.strict) throw error;
      return false;
    }
    this.current = to;
    if (lastError !== undefined) this.error = lastError;
    this.log.debug({ from, to, reason }, "pool transition");
    this.emit("changed", from, to);
    return true;
  }
}
