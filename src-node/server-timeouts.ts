import type { Server } from "node:http";

export interface ServerTimeouts {
  /** Time to receive the request headers (slowloris protection). */
  headersTimeoutMs: number;
  /** Time to receive the whole request; 0 = none (long SSE answers and uploads). */
  requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open; unset keeps Node's default. */
  keepAliveTimeoutMs?: number;
}

/** Applies the server's timeouts in one place, so neither server forgets one. */
export function applyServerTimeouts(server: Server, timeouts: ServerTimeouts): void {
  server.headersTimeout = timeouts.headersTimeoutMs;
  server.requestTimeout = timeouts.requestTimeoutMs;
  if (timeouts.keepAliveTimeoutMs !== undefined) server.keepAliveTimeout = timeouts.keepAliveTimeoutMs;
}
