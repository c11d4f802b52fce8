// A server that cannot bind says which address and what to do, not a Node stack trace.

interface ListenError {
  code?: unknown;
  syscall?: unknown;
  address?: unknown;
  port?: unknown;
}

/** The operator's message for a failed listen (in use, not permitted, not on this machine); undefined for any other error. */
export function listenFailureMessage(error: unknown): string | undefined {
  if (error === null || typeof error !== "object") return undefined;
  const e = error as ListenError;
  if (e.syscall !== "listen" && e.syscall !== "bind") return undefined;
  const where = typeof e.port === "number" && e.port > 0 ? `${String(e.address)}:${e.port}` : String(e.address);
  switch (e.code) {
    case "EADDRINUSE":
      return `cannot listen on ${where}: the port is already in use (another llama-orch, or another program); stop it or choose another address with --bind`;
    case "EACCES":
      return `cannot listen on ${where}: permission denied (ports below 1024 need privileges); choose a port above 1023 with --bind`;
    case "EADDRNOTAVAIL":
      return `cannot listen on ${where}: no network interface of this machine has that address; use 127.0.0.1, 0.0.0.0 or one of this machine's addresses with --bind`;
    default:
      return undefined;
  }
}
