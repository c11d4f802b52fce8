import { Agent, request, type IncomingMessage } from "node:http";

// The engine's HTTP/1.1 client for its own llama-server on 127.0.0.1: node:http with a kept-alive
// agent instead of fetch. fetch (undici) built Request/Response/Headers objects and web streams for
// every request; on the tiny model that was most of the worker's CPU per task. llama-server
// (cpp-httplib) keeps a connection for 100 requests or 5 s idle (`Keep-Alive: timeout=5, max=100`),
// and node's agent honours that hint, except after a streamed reply: then llama-server closes the
// connection without saying so (its stream provider returns false after its last chunk, which
// cpp-httplib takes as a cancel: tools/server/server-http.cpp, `return has_next` after `sink.done()`),
// and a request sent on it at once fails with "socket hang up" (every second streamed completion,
// measured). A stream therefore gets a connection of its own (`Connection: close`).

/** A request sent on a kept-alive connection the server had just closed fails before any reply. */
const STALE_SOCKET_CODES = new Set(["ECONNRESET", "EPIPE"]);

export class LlamaServerHttp {
  private readonly agent = new Agent({ keepAlive: true });
  /** Connections used once: streams, and a retry after a stale kept-alive connection. */
  private readonly oneShot = new Agent({ keepAlive: false });
  private readonly host: string;
  private readonly port: number;

  constructor(baseUrl: string) {
    const url = new URL(baseUrl);
    this.host = url.hostname;
    this.port = Number(url.port);
  }

  /**
   * Sends one request and resolves with the response (its body unread). Aborting `signal` destroys
   * the connection, which is how llama-server learns that a streamed completion is no longer wanted.
   * A request that failed on a reused connection with no reply (the server closed it while idle) is
   * sent once more on a new one: llama-server never saw it.
   */
  send(method: "GET" | "POST", path: string, body: string | undefined, signal?: AbortSignal, stream = false): Promise<IncomingMessage> {
    return this.attempt(method, path, body, signal, stream, true);
  }

  /** Closes the kept-alive connections (the server is gone or the engine stops). */
  close(): void {
    this.agent.destroy();
    this.oneShot.destroy();
  }

  private attempt(method: "GET" | "POST", path: string, body: string | undefined, signal: AbortSignal | undefined, stream: boolean, mayRetry: boolean): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = body !== undefined ? { "content-type": "application/json", "content-length": Buffer.byteLength(body) } : {};
      if (stream) headers["connection"] = "close";
      let replied = false;
      // The retry goes on a new connection: the agent's next free one may be as stale as the first.
      const agent = stream || !mayRetry ? this.oneShot : this.agent;
      const req = request({ host: this.host, port: this.port, method, path, headers, agent, ...(signal !== undefined ? { signal } : {}) }, (reply) => {
        replied = true;
        resolve(reply);
      });
      // After the reply began, an error reaches the reader through the response stream instead.
      req.on("error", (error: NodeJS.ErrnoException) => {
        if (replied) return;
        if (mayRetry && req.reusedSocket && error.code !== undefined && STALE_SOCKET_CODES.has(error.code) && signal?.aborted !== true) {
          this.attempt(method, path, body, signal, stream, false).then(resolve, reject);
        } else {
          reject(error);
        }
      });
      // Headers and body leave in one write.
      req.end(body);
    });
  }
}

/** The whole body of a response as text. */
export async function readText(reply: IncomingMessage): Promise<string> {
  reply.setEncoding("utf8");
  let text = "";
  for await (const chunk of reply) text += chunk as string;
  return text;
}
