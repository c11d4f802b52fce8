/** The settings that decide how often agents heartbeat and how soon silence counts (orchestrator config). */
export interface CadenceSettings {
  heartbeat_interval_ms: number;
  heartbeat_max_per_s: number;
  node_suspect_ms: number;
  node_timeout_ms: number;
}

/**
 * Server-controlled heartbeat interval (Nomad's heartbeat TTL): the configured base, stretched so
 * that `liveNodes` agents together stay under `heartbeat_max_per_s`. It never stretches so far that
 * a hung node stays Online past the configured timeout: at most 0.4× the timeout (two missed beats
 * before Offline), and never so far that the stretched suspect threshold (suspectAfterMs) reaches it.
 * Crash detection does not depend on it: the watch connection drops at once.
 */
export function heartbeatIntervalMs(liveNodes: number, s: CadenceSettings): number {
  const base = s.heartbeat_interval_ms;
  const wanted = Math.ceil((liveNodes * 1000) / s.heartbeat_max_per_s);
  const cap = Math.min(Math.floor(s.node_timeout_ms * 0.4), base + Math.floor((s.node_timeout_ms - s.node_suspect_ms) / 2) - 1);
  return Math.max(base, Math.min(wanted, cap));
}

/**
 * Heartbeat silence after which a node is Suspect: the configured threshold, plus twice what its
 * last told interval exceeds the base, so a stretched cadence does not make healthy nodes Suspect.
 */
export function suspectAfterMs(toldIntervalMs: number | undefined, s: Pick<CadenceSettings, "heartbeat_interval_ms" | "node_suspect_ms">): number {
  if (toldIntervalMs === undefined || !(toldIntervalMs > s.heartbeat_interval_ms)) return s.node_suspect_ms;
  return s.node_suspect_ms + 2 * (toldIntervalMs - s.heartbeat_interval_ms);
}
