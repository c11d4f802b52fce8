import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";

/**
 * POSTs a JSON body to a worker and resolves with the response as soon as its headers arrive (the
 * body is read by the caller, chunk by chunk). node:http rather than fetch for task streams: fetch
 * hands every chunk through a web ReadableStream, which cost more than the proxying itself at
 * thousands of tokens per second. `signal` aborts the request and the response body alike.
 */
export function postStream(url: string, token: string, body: string, signal: AbortSignal): Promise<IncomingMessage> {
  const target = new URL(url);
  const send = target.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      {
        method: "POST",
        signal,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "text/event-stream", "content-length": Buffer.byteLength(body) },
      },
      resolve,
    );
    req.on("error", reject);
    req.end(body);
  });
}
