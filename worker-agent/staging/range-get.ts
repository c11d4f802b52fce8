import { Agent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";

/** One kept-alive connection for the range requests of one transfer (destroy it when done). */
export function keepAliveAgent(url: URL): Agent {
  const options = { keepAlive: true, maxSockets: 1 };
  return url.protocol === "https:" ? new HttpsAgent(options) : new Agent(options);
}

/**
 * One GET with headers on node:http(s), resolving with the response once its head arrived. Used for
 * model bodies instead of fetch: node:http hands Buffers straight to a pipeline (no web-stream
 * layer per chunk), which is what lets a pull run at disk speed. The signal aborts the request and
 * the body. `agent` keeps the connection alive between a pull's range requests.
 */
export function rangeGet(url: URL, headers: Record<string, string>, agent: Agent, signal: AbortSignal, highWaterMark: number): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const options = { method: "GET", headers, signal, highWaterMark };
    const req = url.protocol === "https:" ? httpsRequest(url, { ...options, agent: agent as HttpsAgent }, resolve) : httpRequest(url, { ...options, agent }, resolve);
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
