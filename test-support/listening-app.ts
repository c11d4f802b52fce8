import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** An app (express, or any request listener) listening on an ephemeral loopback port, for one test file. */
export interface ListeningApp {
  server: Server;
  url: string;
  /** Ends every connection, then the server. */
  close(): Promise<void>;
}

export async function listenOnLoopback(app: RequestListener): Promise<ListeningApp> {
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
