import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Server } from "./http-server.js";

interface Tracked {
  /** Requests being served on the connection now. */
  busy: number;
  /** Requests it completed: 0 means it never got a whole request through (a slowloris looks like this). */
  served: number;
  /** When it was accepted (monotonic ms). */
  openedAt: number;
}

/**
 * A connection that has completed no request is taken for a stalled one (first to go) only after this
 * long: a connection accepted a moment ago whose first request is still on its way is not a slowloris.
 */
export const NEW_CONNECTION_GRACE_MS = 2_000;

/**
 * The connection under a request: the TCP socket, also under TLS (where `req.socket` is the TLSSocket
 * wrapping it; Node keeps the wrapped socket as `_parent`).
 */
function tcpSocketOf(req: IncomingMessage): Socket {
  const socket = req.socket as Socket & { _parent?: unknown };
  return typeof socket._parent === "object" && socket._parent !== null ? (socket._parent as Socket) : socket;
}

/**
 * At most `max` connections: a new one past it makes room by closing the oldest connection that is
 * serving no request, first one that never completed a request (headers trickling in, a TLS handshake
 * never finished, nothing sent at all), then an idle kept-alive one; only when every connection is
 * serving a request is the new one refused. Before, the cap refused every new connection: an attacker
 * with no credential holding 256 half-open connections to a worker (or 16,384 to the orchestrator)
 * locked out the orchestrator's own calls, and tasks failed with 503 until the attacker stopped
 * (security adversary, 2026-11-30; connection-room.int.test.ts in src-main/orchestrator).
 *
 * "Oldest" is the least recently used: a connection's place is renewed with every request it completes,
 * and one that completed none counts as stalled only after NEW_CONNECTION_GRACE_MS. Before, each worker
 * agent's heartbeat connection (opened at registration, used every second or two) was among the oldest,
 * so at the cap every new client closed a heartbeat connection in use while idle ones stayed, and a new
 * connection whose first request had not arrived yet was closed by the next one: at the cap, connections
 * churned and requests failed (fleet adversary, 2026-11-30; src-node/connection-room.int.test.ts).
 */
export function keepRoomForNewConnections(server: Server, max: number): void {
  const open = new Map<Socket, Tracked>(); // insertion order: oldest first
  server.on("connection", (socket: Socket) => {
    if (open.size >= max && !closeOneIdle(open)) {
      socket.destroy();
      return;
    }
    open.set(socket, { busy: 0, served: 0, openedAt: performance.now() });
    socket.once("close", () => open.delete(socket));
  });
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const socket = tcpSocketOf(req);
    const tracked = open.get(socket);
    if (tracked === undefined) return;
    tracked.busy++;
    res.once("close", () => {
      tracked.busy--;
      tracked.served++;
      // Most recently used last: the map's order is the order in which idle connections are closed.
      if (open.delete(socket)) open.set(socket, tracked);
    });
  });
}

/**
 * Closes, in this order: a connection that completed no request within the grace (stalled), the least
 * recently used idle kept-alive one, a new one that completed no request yet. Never one serving a request.
 */
function closeOneIdle(open: Map<Socket, Tracked>): boolean {
  const stalledBefore = performance.now() - NEW_CONNECTION_GRACE_MS;
  let idle: Socket | undefined;
  let fresh: Socket | undefined;
  for (const [socket, tracked] of open) {
    if (tracked.busy > 0) continue;
    if (tracked.served > 0) idle ??= socket;
    else if (tracked.openedAt <= stalledBefore) return evict(open, socket);
    else fresh ??= socket;
  }
  const victim = idle ?? fresh;
  return victim !== undefined && evict(open, victim);
}

function evict(open: Map<Socket, Tracked>, socket: Socket): true {
  open.delete(socket);
  socket.destroy();
  return true;
}
