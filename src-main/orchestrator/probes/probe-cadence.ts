/** The settings that decide how often each pool is probed (orchestrator config). */
export interface ProbeCadenceSettings {
  pool_probe_interval_ms: number;
  pool_probe_max_per_s: number;
}

/**
 * Time between two probes of the same pool: the configured interval, stretched so that `pools`
 * probes together stay under `pool_probe_max_per_s` (as the heartbeat interval is stretched by
 * `heartbeat_max_per_s`). Probes only measure reachability and latency: a node's state comes from
 * its heartbeats and its watch connection, so a longer round loses no detection, only samples.
 * 0 = periodic probes off.
 */
export function probeIntervalMs(pools: number, s: ProbeCadenceSettings): number {
  if (s.pool_probe_interval_ms <= 0) return 0;
  return Math.max(s.pool_probe_interval_ms, Math.ceil((pools * 1000) / s.pool_probe_max_per_s));
}
