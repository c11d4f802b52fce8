import { startNodeFleet, type NodeFleet } from "./node-fleet.js";
import { startTestOrchestrator, type TestOrchestrator } from "./orchestrator-harness.js";

export interface HeldFleet {
  orch: TestOrchestrator;
  fleet: NodeFleet;
  close(): Promise<void>;
}

/**
 * An orchestrator and `size` simulated nodes (4 slots each) whose infers are held open: nodes turn Suspect
 * 4 s after their last heartbeat and stay there (never Offline within a test), so a test decides by its own
 * heartbeats which nodes blip and whose streams fail over.
 */
export async function startHeldFleet(size: number): Promise<HeldFleet> {
  const orch = await startTestOrchestrator({ log_level: "warn", pool_probe_interval_ms: 0, node_suspect_ms: 4000, node_timeout_ms: 120_000, admission_capacity: 10_000 });
  const fleet = await startNodeFleet((path, init) => orch.api(path, init), size, 32, { holdInfers: true });
  return {
    orch,
    fleet,
    close: async () => {
      await fleet.close();
      await orch.close();
    },
  };
}
