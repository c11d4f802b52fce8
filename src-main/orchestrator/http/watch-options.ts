import type { OrchestratorConfig } from "../../../src-shared/config/orchestrator-config.js";
import type { StreamBoundsOptions } from "../../../src-node/stream-bounds.js";

/** Heartbeat and dead-peer limit of every long-lived stream the orchestrator serves (docs/RELIABILITY.md). */
export function watchOptions(cfg: OrchestratorConfig): StreamBoundsOptions {
  return { keepAliveMs: cfg.watch_heartbeat_ms, deadPeerMs: cfg.watch_dead_peer_ms };
}
