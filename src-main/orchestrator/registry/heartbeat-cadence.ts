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
 * With a live watch (`watched`: the worker's 1 s keep-alive on GET /v2/watch), the watch carries
 * liveness — a crash closes it, a hang silences it — and a heartbeat only refreshes state (which the
 * agent also pushes at once on change), so it may stretch to 0.8× the timeout: if the watch then
 * drops for good, the next heartbeat still lands before its last keep-alive is `node_timeout_ms` old.
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
 * Heartbeat silence after which a node judged on its heartbeats alone is Offline: the timeout, plus what
 * its told interval exceeds the longest one told without a watch (0.4 × the timeout). A node told the
 * watched interval whose watch then died keeps the same margin for its next beat as any other node (one
 * late beat after a 4 s interval is not a dead node); its next answer tells it the short interval.
 */
export function heartbeatOfflineAfterMs(toldIntervalMs: number | undefined, s: Pick<CadenceSettings, "node_timeout_ms">): number {
  return s.node_timeout_ms + Math.max(0, (toldIntervalMs ?? 0) - Math.floor(s.node_timeout_ms * 0.4));
}

/**
 * Heartbeat silence after which a node is Offline even though its watch still answers: the agent's
 * heartbeats stopped (its loop is stuck, or its path to the orchestrator is cut) while its HTTP server
 * lives, so what the orchestrator knows of its pools is stale. Two told intervals past the timeout.
 */
export function heartbeatOverdueMs(toldIntervalMs: number | undefined, s: Pick<CadenceSettings, "heartbeat_interval_ms" | "node_timeout_ms">): number {
  return s.node_timeout_ms + 2 * Math.max(toldIntervalMs ?? s.heartbeat_interval_ms, s.heartbeat_interval_ms);
}
