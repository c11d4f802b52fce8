import type { Logger } from "../logging/logger.js";

// Test-only fault hooks for the false-positive soak (issue 14): an agent whose event loop stalls
// now and then, and whose heartbeats are jittered, must never be marked Offline while healthy.
// Unset in production; the agent logs a warning when one is active.

/** LLORCH_TEST_LOOP_STALL="<stall ms>/<every ms>": blocks the event loop that long, that often. */
export function startLoopStalls(env: NodeJS.ProcessEnv, log: Logger): () => void {
  const match = /^(\d+)\/(\d+)$/.exec(env.LLORCH_TEST_LOOP_STALL ?? "");
  if (match === null) return () => undefined;
  const stallMs = Number(match[1]);
  const everyMs = Number(match[2]);
  log.warn({ stall_ms: stallMs, every_ms: everyMs }, "TEST HOOK: event-loop stalls injected");
  const timer = setInterval(() => {
    const until = performance.now() + stallMs;
    while (performance.now() < until) {
      // Busy wait: the point is a loop that cannot run anything else.
    }
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** LLORCH_TEST_HEARTBEAT_JITTER_MS: each heartbeat is sent up to this much early or late. */
export function heartbeatJitterMs(env: NodeJS.ProcessEnv): number {
  const ms = Number(env.LLORCH_TEST_HEARTBEAT_JITTER_MS ?? "0");
  return Number.isFinite(ms) && ms > 0 ? ms : 0;
}
