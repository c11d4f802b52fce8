import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest, type Agent as HttpsAgent } from "node:https";

/**
 * POSTs a JSON body to a worker and resolves with the response as soon as its headers arrive (the
 * body is read by the caller, chunk by chunk). node:http rather than fetch for task streams: fetch
 * hands every chunk through a web ReadableStream, which cost more than the proxying itself at
 * thousands of tokens per second. `signal` aborts the request and the response body alike.
 * `agent`: in a TLS cluster, the node's agent that trusts the cluster CA alone and checks the node's
 * name; `traceparent` carries the task's trace to the worker.
 */
export function postStream(url: string, token: string, body: string, signal: AbortSignal, options: { traceparent?: string | undefined; agent?: HttpsAgent | undefined } = {}): Promise<IncomingMessage> {
  const target = new URL(url);
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "text/event-stream", "content-length": Buffer.byteLength(body), ...(options.traceparent !== undefined ? { traceparent: options.traceparent } : {}) };
  const attempt = (retried: boolean): Promise<IncomingMessage> =>
    new Promise((resolve, reject) => {
      const req =
        target.protocol === "https:"
          ? httpsRequest(target, { method: "POST", signal, headers, ...(options.agent !== undefined ? { agent: options.agent } : {}) }, resolve)
          : httpRequest(target, { method: "POST", signal, headers }, resolve);
      req.on("error", (err: NodeJS.ErrnoException) => {
        // The keep-alive race (Node's documented pattern): the worker closed this idle pooled socket as
        // the request went out on it, so it never read the request. Once more on a fresh connection;
        // without it the node would be marked Suspect for a quiet gap.
        if (!retried && req.reusedSocket && !signal.aborted && (err.code === "ECONNRESET" || err.code === "EPIPE")) attempt(true).then(resolve, reject);
        else reject(err);
      });
      req.end(body);
    });
  return attempt(false);
}
