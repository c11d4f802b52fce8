import type { PlacementCandidate } from "./placement-types.js";

/**
 * A pool that is not ready and not coming up by itself: its engine's restarts are paused by the circuit
 * breaker (`circuit_open`) or it gave up (`failed`). Tasks do not wait for it. A snapshot that does not
 * say (`loading` unset) is not down.
 */
export function isDown(c: Pick<PlacementCandidate, "ready" | "loading" | "draining">): boolean {
  return !c.ready && c.loading === false && !c.draining;
}
