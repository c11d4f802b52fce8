import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";

/**
 * One GET with headers on node:http(s), resolving with the response once its head arrived. Used for
 * model bodies instead of fetch: node:http hands Buffers straight to a pipeline (no web-stream
 * layer per chunk), which is what lets a pull run at disk speed. The signal aborts the request and
 * the body.
 */
export function rangeGet(url: URL, headers: Record<string, string>, signal: AbortSignal): Promise<IncomingMessage> {
  const request = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "GET", headers, signal }, resolve);
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
