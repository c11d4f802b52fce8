import { Agent, request } from "node:https";
import { Readable } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import { checkPeer, type PeerExpectation } from "./peer-identity.js";

/** The subset of fetch the cluster's clients use. */
export type FetchLike = (input: string | URL, init?: RequestInit) => Promise<Response>;

/** A kept-alive HTTPS agent trusting the cluster CA alone and checking the peer's role and name. */
export function clusterAgent(caPem: string, expect: PeerExpectation): Agent {
  return new Agent({ keepAlive: true, ca: caPem, checkServerIdentity: checkPeer(expect), maxCachedSessions: 16 });
}

/**
 * fetch for calls inside a TLS cluster: HTTPS only, trusting the cluster CA alone (not the system
 * roots) and checking the peer's role and name (peer-identity.ts). Built on node:https because the
 * global fetch cannot be given a CA without undici's Agent, which is not a dependency. Plain http://
 * URLs are refused: a pinned peer must never be reached in clear text.
 */
export function clusterFetch(caPem: string, expect: PeerExpectation, agent: Agent = clusterAgent(caPem, expect)): FetchLike {
  return (input, init = {}) =>
    new Promise<Response>((resolve, reject) => {
      const url = new URL(String(input));
      if (url.protocol !== "https:") {
        reject(new TypeError(`refusing ${url.protocol}// to ${url.host}: this cluster uses TLS`));
        return;
      }
      const method = (init.method ?? "GET").toUpperCase();
      const headers: Record<string, string> = {};
      new Headers(init.headers).forEach((value, key) => (headers[key] = value));
      const req = request(url, { method, headers, agent, ...(init.signal ? { signal: init.signal } : {}) }, (res) => {
        const status = res.statusCode ?? 502;
        const out = new Headers();
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) out.append(res.rawHeaders[i] as string, res.rawHeaders[i + 1] as string);
        const noBody = method === "HEAD" || status === 204 || status === 205 || status === 304;
        if (noBody) res.resume();
        try {
          const body = noBody ? null : (Readable.toWeb(res) as unknown as ReadableStream<Uint8Array>);
          resolve(new Response(body, { status, statusText: res.statusMessage ?? "", headers: out }));
        } catch (error) {
          // A status fetch cannot represent (1xx, > 599): a broken peer, not a crash.
          res.destroy();
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
      req.on("error", reject);
      const body = init.body;
      if (body === undefined || body === null) req.end();
      else if (typeof body === "string" || body instanceof Uint8Array) req.end(body);
      else if (body instanceof ReadableStream) Readable.fromWeb(body as unknown as NodeReadableStream<Uint8Array>).pipe(req);
      else {
        req.destroy();
        reject(new TypeError("clusterFetch: unsupported body type"));
      }
    });
}
