import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Server } from "./http-server.js";

interface Tracked {
  /** Requests being served on the connection now. */
  busy: number;
  /** Requests it completed: 0 means it never got a whole request through (a slowloris looks like this). */
  served: number;
}

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
 * (security adversary, 2026-11-30; worker-agent/http/connection-room.int.test.ts).
 */
export function keepRoomForNewConnections(server: Server, max: number): void {
  const open = new Map<Socket, Tracked>(); // insertion order: oldest first
  server.on("connection", (socket: Socket) => {
    if (open.size >= max && !closeOneIdle(open)) {
      socket.destroy();
      return;
    }
    open.set(socket, { busy: 0, served: 0 });
    socket.once("close", () => open.delete(socket));
  });
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const tracked = open.get(tcpSocketOf(req));
    if (tracked === undefined) return;
    tracked.busy++;
    res.once("close", () => {
      tracked.busy--;
      tracked.served++;
    });
  });
}

function closeOneIdle(open: Map<Socket, Tracked>): boolean {
  let idle: Socket | undefined;
  for (const [socket, tracked] of open) {
    if (tracked.busy > 0) continue;
    if (tracked.served === 0) return evict(open, socket);
    idle ??= socket;
  }
  return idle !== undefined && evict(open, idle);
}

function evict(open: Map<Socket, Tracked>, socket: Socket): true {
  open.delete(socket);
  socket.destroy();
  return true;
}
