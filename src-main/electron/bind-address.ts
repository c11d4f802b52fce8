// The embedded orchestrator's listen address: the configured one (default 127.0.0.1:8080); when that
// port is taken (another orchestrator, another app), a free port on the same host instead, so the
// desktop app always starts.
import { createServer } from "node:net";
import { splitHostPort } from "../../src-shared/config/host-port.js";

/** Resolves true when `host:port` can be bound right now. */
export function canListen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A port the OS reports free on `host`. */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function joinHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The bind address to use and whether it differs from the configured one. */
export async function chooseBindAddr(configured: string): Promise<{ bindAddr: string; fallback: boolean }> {
  const { host, port } = splitHostPort(configured);
  if (port === 0 || (await canListen(host, port))) return { bindAddr: configured, fallback: false };
  return { bindAddr: joinHostPort(host, await freePort(host)), fallback: true };
}
