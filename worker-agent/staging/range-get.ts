import { Agent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { checkPeer } from "../../src-node/tls/peer-identity.js";

/**
 * One kept-alive connection for the range requests of one transfer (destroy it when done). In a TLS
 * cluster (`clusterCaPem`) an https:// source is trusted through the cluster CA alone and must present
 * a cluster member's certificate (orchestrator or node; the bytes are verified by sha256 anyway).
 */
export function keepAliveAgent(url: URL, clusterCaPem?: string): Agent {
  const options = { keepAlive: true, maxSockets: 1 };
  if (url.protocol !== "https:") return new Agent(options);
  return clusterCaPem === undefined ? new HttpsAgent(options) : new HttpsAgent({ ...options, ca: clusterCaPem, checkServerIdentity: checkPeer({ role: "any" }) });
}

/**
 * One GET with headers on node:http(s), resolving with the response once its head arrived. Used for
 * model bodies instead of fetch: node:http hands Buffers straight to a pipeline (no web-stream
 * layer per chunk), which is what lets a pull run at disk speed. The signal aborts the request and
 * the body. `agent` keeps the connection alive between a pull's range requests.
 * A socket with no traffic for `idleMs` (head or body) fails the request and its body: a stopped
 * source, or a network that went silent, keeps a TCP connection open with nothing arriving, and a
 * receiving peer has nothing unacknowledged for TCP to time out on, so the pull waited forever.
 */
export function rangeGet(url: URL, headers: Record<string, string>, agent: Agent, signal: AbortSignal, highWaterMark: number, idleMs: number): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const options = { method: "GET", headers, signal, highWaterMark };
    const req = url.protocol === "https:" ? httpsRequest(url, { ...options, agent: agent as HttpsAgent }, resolve) : httpRequest(url, { ...options, agent }, resolve);
    req.setTimeout(idleMs, () => req.destroy(new Error(`the source sent nothing for ${idleMs} ms`)));
    req.on("error", reject);
    req.end();
  });
}

/** The whole (small) body as text, for an error answer. */
export async function bodyText(res: IncomingMessage, limit = 300): Promise<string> {
  let text = "";
  for await (const chunk of res) {
    if (text.length < limit) text += (chunk as Buffer).toString("utf8");
  }
  return text.slice(0, limit);
}
