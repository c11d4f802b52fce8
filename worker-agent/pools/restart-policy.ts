import type { SupervisorConfig } from "../../src-shared/config/worker-config.js";

// When to restart a crashed engine (spec §8.5): exponential backoff with jitter (initial, 2×, 4× …
// capped), reset after a stable period; a circuit breaker opens after too many consecutive failures
// or a restart storm (too many restarts in a sliding window), stays open for circuit_open_ms, then
// allows one trial start (half-open) that closes it on success or reopens it on failure.
// Pure: the clock and the random source are injected so tests can drive it.

export interface Clock {
  now(): number;
}

// Monotonic: backoffs, windows and the open period measure time passed. On the wall clock a step back
// during circuit_open (NTP, `date -s`) kept beginTrial() refusing when the trial timer fired, and
// nothing scheduled another: the pool stayed circuit_open until the agent restarted.
export const systemClock: Clock = { now: () => performance.now() };

export type CircuitState = "closed" | "open" | "half_open";

export type RestartDecision =
  | { kind: "restart"; delayMs: number; consecutiveFailures: number }
  | { kind: "circuit_open"; retryAtMs: number; reason: string };

export class RestartPolicy {
  private consecutiveFailures = 0;
  private restartTimes: number[] = [];
  private readyAt: number | undefined;
  private circuit: CircuitState = "closed";
  private openUntil = 0;

  constructor(
    private readonly config: SupervisorConfig,
    private readonly clock: Clock = systemClock,
    private readonly random: () => number = Math.random,
  ) {}

  get state(): CircuitState {
    return this.circuit;
  }

  get failures(): number {
    return this.consecutiveFailures;
  }

  /** The engine reached ready. A half-open trial that succeeds closes the breaker. */
  recordReady(): void {
    this.readyAt = this.clock.now();
    if (this.circuit === "half_open") {
      this.circuit = "closed";
      this.consecutiveFailures = 0;
      this.restartTimes = [];
    }
  }

  /** The engine crashed or failed to load: restart after a delay, or open the breaker. */
  recordFailure(): RestartDecision {
    const now = this.clock.now();
    if (this.readyAt !== undefined && now - this.readyAt >= this.config.stable_after_ms) this.consecutiveFailures = 0;
    this.readyAt = undefined;
    this.consecutiveFailures++;
    this.restartTimes = this.restartTimes.filter((t) => now - t < this.config.restart_window_ms);
    this.restartTimes.push(now);

    let reason: string | undefined;
    if (this.circuit === "half_open") reason = "trial start after circuit_open failed";
    else if (this.consecutiveFailures >= this.config.max_consecutive_failures) reason = `${this.consecutiveFailures} consecutive failures`;
    else if (this.restartTimes.length >= this.config.max_restarts_in_window) {
      reason = `${this.restartTimes.length} restarts within ${this.config.restart_window_ms} ms`;
    }
    if (reason !== undefined) {
      this.circuit = "open";
      this.openUntil = now + this.config.circuit_open_ms;
      return { kind: "circuit_open", retryAtMs: this.openUntil, reason };
    }
    const base = Math.min(this.config.max_backoff_ms, this.config.initial_backoff_ms * 2 ** (this.consecutiveFailures - 1));
    const jitter = 1 + this.config.jitter * (2 * this.random() - 1);
    return { kind: "restart", delayMs: Math.max(0, Math.round(base * jitter)), consecutiveFailures: this.consecutiveFailures };
  }

  /** Called when the open period is over: the next start is the single half-open trial. */
  beginTrial(): boolean {
    if (this.circuit !== "open" || this.clock.now() < this.openUntil) return false;
    this.circuit = "half_open";
    return true;
  }

  /** An operator action (reload) starts afresh. */
  reset(): void {
    this.consecutiveFailures = 0;
    this.restartTimes = [];
    this.readyAt = undefined;
    this.circuit = "closed";
  }
}
