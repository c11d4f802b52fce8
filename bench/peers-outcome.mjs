// Pure helpers of bench/peers.mjs: the Portkey load-balance config and what a backend kill did to the
// clients (requests lost, time until requests succeed again, in-flight requests rescued).

/**
 * Portkey's per-request config (`x-portkey-config` header): weighted load balancing over OpenAI-
 * compatible backends (`custom_host` = each llama-server's /v1), equal weights, no retry or fallback
 * (the plain "loadbalance" mode the gateway documents).
 */
export function portkeyLoadBalanceConfig(backendUrls) {
  if (backendUrls.length === 0) throw new Error("portkeyLoadBalanceConfig: no backends");
  return {
    strategy: { mode: "loadbalance" },
    targets: backendUrls.map((url) => ({ provider: "openai", custom_host: `${url.replace(/\/+$/, "")}/v1`, api_key: "unused", weight: 1 })),
  };
}

/**
 * What a SIGKILL of one backend at `killAt` did to closed-loop clients whose requests ran until `end`
 * (all times in ms on one clock). `results`: every request as { ok, kind, t0, t1 } (start, end).
 * - lost: requests that failed (any error the client saw), by kind;
 * - in_flight_at_kill / in_flight_failed: requests running at the kill and how many of them failed;
 * - recovered_ms: from the kill to the end of the last failure, when requests started in the last
 *   `settleMs` of the window all succeeded (0 if nothing failed); null = still failing at the end;
 * - longest_gap_ms: longest time after the kill without a request completing successfully.
 */
export function killOutcome(results, killAt, end, settleMs = 1000) {
  const failed = results.filter((r) => !r.ok);
  const errors = {};
  for (const r of failed) errors[r.kind] = (errors[r.kind] ?? 0) + 1;
  const inFlight = results.filter((r) => r.t0 <= killAt && r.t1 >= killAt);
  const lastFailure = Math.max(killAt, ...failed.map((r) => r.t1));
  const stillFailing = results.some((r) => !r.ok && r.t0 >= end - settleMs);
  const done = results.filter((r) => r.ok && r.t1 >= killAt).map((r) => r.t1).sort((a, b) => a - b);
  let longestGap = 0;
  let previous = killAt;
  for (const t of [...done, end]) {
    longestGap = Math.max(longestGap, t - previous);
    previous = t;
  }
  return {
    requests: results.length,
    ok: results.length - failed.length,
    lost: failed.length,
    errors,
    in_flight_at_kill: inFlight.length,
    in_flight_failed: inFlight.filter((r) => !r.ok).length,
    recovered_ms: failed.length === 0 ? 0 : stillFailing ? null : Math.round(lastFailure - killAt),
    longest_gap_ms: Math.round(longestGap),
  };
}

/**
 * Of the `busyOnKilled` requests the killed backend was generating (its busy slots just before the
 * kill), how many still reached their client: in-flight requests that did not fail were retried or
 * re-placed elsewhere, since their own backend died under them. Never negative, never above busy.
 */
export function rescuedInFlight(busyOnKilled, inFlightFailed) {
  return Math.max(0, Math.min(busyOnKilled, busyOnKilled - inFlightFailed));
}
