/** The settings that decide how often agents heartbeat and how soon silence counts (orchestrator config). */
export interface CadenceSettings {
  heartbeat_interval_ms: number;
  heartbeat_max_per_s: number;
  node_suspect_ms: number;
  node_timeout_ms: number;
}

/**
 * Server-controlled heartbeat interval (Nomad's heartbeat TTL): the configured base, stretched so
 * that `liveNodes` agents together stay under `heartbeat_max_per_s`.
 *
 * How far it may stretch depends on what else tells the orchestrator the node is alive. Without a
 * watch connection, heartbeats are the only pulse, so at most 0.4× the timeout (two missed beats
 * before Offline), and never so far that the stretched suspect threshold (suspectAfterMs) reaches it.
 * With a live watch (`watched`: the worker's 1 s keep-alive on GET /v2/watch), the watch carries the
 * fast part of liveness — a crash closes it, a hang silences it, both judged on the unstretched
 * thresholds — so heartbeats, which refresh state (the agent also pushes changes at once), may stretch
 * to 0.8× the timeout; their own silence is judged on thresholds stretched to match (heartbeatOfflineAfterMs).
 */
export function heartbeatIntervalMs(liveNodes: number, s: CadenceSettings, watched = false): number {
  const base = s.heartbeat_interval_ms;
  const wanted = Math.ceil((liveNodes * 1000) / s.heartbeat_max_per_s);
  const cap = watched ? Math.floor(s.node_timeout_ms * 0.8) : Math.min(Math.floor(s.node_timeout_ms * 0.4), base + Math.floor((s.node_timeout_ms - s.node_suspect_ms) / 2) - 1);
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

/**
 * Heartbeat silence after which a node is Offline, whatever its watch says: the timeout, plus what its told
 * interval exceeds the longest one told without a watch (0.4 × the timeout), so a node told the watched
 * interval keeps the same margin for its next beat as any other node (one late beat after a 4 s interval is
 * not a dead node). With a short interval this is the timeout itself, as it always was.
 */
export function heartbeatOfflineAfterMs(toldIntervalMs: number | undefined, s: Pick<CadenceSettings, "node_timeout_ms">): number {
  return s.node_timeout_ms + Math.max(0, (toldIntervalMs ?? 0) - Math.floor(s.node_timeout_ms * 0.4));
}
