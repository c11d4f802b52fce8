import { z } from "zod";

/** The longest hang a worker agrees to simulate: past node_timeout_ms (5 s default) it also shows Offline and re-registration. */
export const MAX_SIMULATED_HANG_MS = 10_000;

/**
 * POST /v2/faults/hang on a worker — the orchestrator's self-test, with the operator's consent: the
 * agent's event loop stops for `hang_ms` (heartbeats, the watch keep-alive and every request stall,
 * as with SIGSTOP), then carries on by itself. Engines keep running in their own processes.
 */
export const SimulatedHangRequestSchema = z.strictObject({
  hang_ms: z.int().min(500).max(MAX_SIMULATED_HANG_MS),
});
export type SimulatedHangRequest = z.infer<typeof SimulatedHangRequestSchema>;

/** 202: the hang starts right after this answer is written. */
export const SimulatedHangAcceptedSchema = z.object({
  node_id: z.string(),
  hang_ms: z.int().min(0),
});
export type SimulatedHangAccepted = z.infer<typeof SimulatedHangAcceptedSchema>;
