import { connect, type Socket } from "node:net";

/** What a raw connection saw: everything the server sent, and when it closed (ms after opening). */
export interface RawOutcome {
  received: string;
  closedAfterMs: number;
}

function target(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname.replace(/^\[|\]$/g, ""), port: Number(u.port) };
}

/** Opens a connection; resolves when the server closes it (or `giveUpMs` passes: closedAfterMs = Infinity). */
function watch(socket: Socket, startedAt: number, giveUpMs: number, onClose: () => void = () => undefined): Promise<RawOutcome> {
  return new Promise((resolve) => {
    let received = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => (received += chunk));
    socket.on("error", () => undefined);
    const giveUp = setTimeout(() => {
      socket.destroy();
      onClose();
      resolve({ received, closedAfterMs: Infinity });
    }, giveUpMs);
    socket.on("close", () => {
      clearTimeout(giveUp);
      onClose();
      resolve({ received, closedAfterMs: performance.now() - startedAt });
    });
  });
}

/**
 * Slowloris: `connections` sockets each send a request line and then header bytes one at a time,
 * every `byteEveryMs`, never finishing the headers.
 */
export function slowHeaders(url: string, connections: number, byteEveryMs: number, giveUpMs: number): Promise<RawOutcome[]> {
  const { host, port } = target(url);
  return Promise.all(
    Array.from({ length: connections }, () => {
      const startedAt = performance.now();
      const socket = connect(port, host);
      socket.once("connect", () => socket.write(`GET /health HTTP/1.1\r\nHost: ${host}:${port}\r\nX-Slow: `));
      const drip = setInterval(() => socket.writable && socket.write("a"), byteEveryMs);
      return watch(socket, startedAt, giveUpMs, () => clearInterval(drip));
    }),
  );
}

/** Complete headers announcing `contentLength` body bytes, then the body one byte every `byteEveryMs`. */
export function slowBody(url: string, method: string, path: string, headers: Record<string, string>, contentLength: number, byteEveryMs: number, giveUpMs: number): Promise<RawOutcome> {
  const { host, port } = target(url);
  const startedAt = performance.now();
  const socket = connect(port, host);
  const head = Object.entries({ host: `${host}:${port}`, "content-length": String(contentLength), ...headers })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("");
  socket.once("connect", () => socket.write(`${method} ${path} HTTP/1.1\r\n${head}\r\n{`));
  const drip = setInterval(() => socket.writable && socket.write(" "), byteEveryMs);
  return watch(socket, startedAt, giveUpMs, () => clearInterval(drip));
}

/** Sends raw bytes and waits for the server to close (or `giveUpMs`). */
export function rawExchange(url: string, payload: string, giveUpMs = 5000): Promise<RawOutcome> {
  const { host, port } = target(url);
  const startedAt = performance.now();
  const socket = connect(port, host);
  socket.once("connect", () => socket.write(payload));
  return watch(socket, startedAt, giveUpMs);
}

/** Opens `count` idle connections; returns them (the caller destroys them) once each connected or failed. */
export async function idleConnections(url: string, count: number): Promise<Socket[]> {
  const { host, port } = target(url);
  return Promise.all(
    Array.from({ length: count }, () => {
      const socket = connect(port, host);
      socket.on("error", () => undefined);
      return new Promise<Socket>((resolve) => {
        socket.once("connect", () => resolve(socket));
        socket.once("close", () => resolve(socket));
      });
    }),
  );
}

/** The status code of the first response in raw HTTP text, or 0. */
export function statusOf(received: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1] ?? 0);
}

/** The JSON body of the first response in raw HTTP text (Content-Length framed), or undefined. */
export function jsonBodyOf(received: string): unknown {
  const split = received.indexOf("\r\n\r\n");
  if (split < 0) return undefined;
  const rest = received.slice(split + 4);
  const length = Number(/content-length: (\d+)/i.exec(received.slice(0, split))?.[1] ?? rest.length);
  try {
    return JSON.parse(rest.slice(0, length)) as unknown;
  } catch {
    return undefined;
  }
}
