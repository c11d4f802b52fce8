import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest, type Agent as HttpsAgent } from "node:https";

/**
 * GETs a long-lived stream (the orchestrator's watch of each node) and resolves with the response as
 * soon as its headers arrive; the caller reads it chunk by chunk. node:http rather than fetch: 1,000
 * watches each get a ping a second, and fetch hands every chunk through a web ReadableStream (promises,
 * a read result, a view) that cost more per ping than the rest of the watch. `signal` aborts the
 * request and the response alike. `agent`: in a TLS cluster, the node's agent that trusts the cluster
 * CA alone and checks the node's name.
 */
export function getStream(url: string, token: string, signal: AbortSignal, agent?: HttpsAgent): Promise<IncomingMessage> {
  const target = new URL(url);
  const headers = { authorization: `Bearer ${token}`, accept: "text/event-stream" };
  return new Promise((resolve, reject) => {
    const req =
      target.protocol === "https:"
        ? httpsRequest(target, { method: "GET", signal, headers, ...(agent !== undefined ? { agent } : {}) }, resolve)
        : httpRequest(target, { method: "GET", signal, headers }, resolve);
    req.on("error", reject);
    req.end();
  });
}
