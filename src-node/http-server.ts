import { createServer, type RequestListener, type Server as HttpServer } from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import { replyToClientError } from "./client-error-reply.js";
import { keepRoomForNewConnections } from "./connection-room.js";
import type { MessageClasses } from "./hot-routes.js";

/** Every limit a server applies to hostile or broken clients, in one place so neither server forgets one. */
export interface ServerLimits {
  /** Time to receive the request headers (slowloris). */
  headersTimeoutMs: number;
  /**
   * Time to receive a whole request, headers and body; 0 = none (the worker, whose model uploads
   * are long: its bodies are bounded by the body deadline and upload rate in build-app instead).
   */
  requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open. */
  keepAliveTimeoutMs: number;
  /** How often Node checks the two timeouts above; a cut happens at most this much late. */
  timeoutCheckIntervalMs: number;
  /** Connections open at once; a further one closes the oldest idle one, or is closed on accept when all are serving requests. */
  maxConnections: number;
  /**
   * The listen backlog: connections the kernel completes and queues while the process has not accepted
   * them yet (the kernel caps it at net.core.somaxconn). Past it, Linux drops the SYN and the client
   * retries after 1 s, then 3 s, 7 s.
   */
  listenBacklog: number;
}

export const ORCHESTRATOR_SERVER_LIMITS: ServerLimits = {
  headersTimeoutMs: 10_000,
  // None server-wide, as on the worker: it cut every model upload (PUT /v2/catalog/import) slower than
  // 60 s with a 408. JSON bodies keep the body deadline (30 s) and uploads the minimum rate (build-app).
  requestTimeoutMs: 0,
  keepAliveTimeoutMs: 5_000,
  timeoutCheckIntervalMs: 1_000,
  // Every worker agent keeps a heartbeat connection open, and clients and dashboards come on top: at
  // 1,024 a fleet of 1,000 nodes left room for 24 more, and the next connection was closed on accept.
  // Bounded still (each open connection costs a descriptor and buffers); the shipped systemd unit
  // allows 65,536 descriptors.
  maxConnections: 16_384,
  // Node's default, 511, is less than one fleet: 1,000 agents connecting within one stall of the event
  // loop (a burst after a blip, every agent after a restart) overflowed it, and the SYNs dropped came back
  // 1 s and 3 s later — heartbeats 3.5 s late on the wire, nodes falsely Suspect and Offline (found by
  // the fleet-under-load adversary). Bounded by net.core.somaxconn (4,096 on current kernels).
  listenBacklog: 4_096,
};

export const WORKER_SERVER_LIMITS: ServerLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 0,
  keepAliveTimeoutMs: 5_000,
  timeoutCheckIntervalMs: 1_000,
  maxConnections: 256,
  listenBacklog: 511,
};

export type Server = HttpServer | HttpsServer;

/** A key and certificate chain (PEM): the server speaks HTTPS only. */
export interface ServerTls {
  key: string;
  cert: string;
}

/**
 * An HTTP (or, given `tls`, HTTPS) server with its limits applied and a `clientError` listener, so
 * Node's own parser errors (400, 408, 431) answer with the error envelope like every other reply.
 */
export function createLimitedServer(app: RequestListener & { messageClasses?: MessageClasses }, limits: ServerLimits, tls?: ServerTls): Server {
  // A TLS handshake gets as long as request headers do: a slow handshake is the same slowloris.
  const options = {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: limits.timeoutCheckIntervalMs,
    // The hot-route listener's classes (hot-routes.ts): requests and responses born with express's prototypes.
    ...app.messageClasses,
  };
  const server: Server = tls === undefined ? createServer(options, app) : createHttpsServer({ ...options, key: tls.key, cert: tls.cert, minVersion: "TLSv1.2", handshakeTimeout: limits.headersTimeoutMs }, app);
  // Past the cap a new connection closes an idle one rather than being refused (connection-room.ts).
  keepRoomForNewConnections(server, limits.maxConnections);
  server.on("clientError", replyToClientError);
  return server;
}
