import type { OrchestratorConfig } from "../../../src-shared/config/orchestrator-config.js";

/**
 * The most tasks one identity may have queued at once (admission_max_queued_per_key, unset: half the
 * capacity, rounded up). Only API keys (`key:<id>`) are limited: the operator's own token and dashboard
 * sessions are the cluster's owner (as with max_nodes_per_key), so a single-user setup never meets it.
 */
export function queuedPerKeyLimit(cfg: Pick<OrchestratorConfig, "admission_capacity" | "admission_max_queued_per_key">, owner: string | null): number {
  if (owner === null || !owner.startsWith("key:")) return Infinity;
  return cfg.admission_max_queued_per_key ?? Math.ceil(cfg.admission_capacity / 2);
}
