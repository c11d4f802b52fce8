import type { IncomingMessage } from "node:http";
import type { Agent as HttpsAgent } from "node:https";
import { connect } from "node:net";
import { getStream } from "./get-stream.js";

/**
 * A long-lived response read only for signs of life (the orchestrator's watch of each node): its
 * status, then every arrival of bytes, then the one moment it is gone.
 */
export interface LivenessStream {
  readonly statusCode: number;
  /** Bytes arrived: a keep-alive, an event, framing; the content is not read. */
  onBytes(listener: () => void): void;
  /** The stream is gone (an error, the peer ended it, the connection was cut); called once. */
  onGone(listener: (err: Error) => void): void;
  /** Done with it: the connection is closed. */
  close(): void;
}

const MAX_HEAD_BYTES = 16 * 1024;
const HEADER_VALUE = /^[\t\x20-\x7e]*$/;

/**
 * GETs `url` and resolves once the response head arrived. Plain http:// is read off a bare TCP socket:
 * at 1,000 nodes the watches deliver 1,000 pings a second, and node:http handed each through its
 * parser, an IncomingMessage and the global agent's idle timer, ~8–15 µs a ping against ~5 µs for the
 * socket's own 'data' (docs/PERFORMANCE.md, seventh heartbeat pass). The request asks for
 * `Connection: close`, so the end of the response is the end of the connection. https:// (a TLS
 * cluster: the node's agent trusting the cluster CA alone) stays on node:https.
 * `signal` aborts the request and, later, the stream.
 */
export function openLivenessStream(url: string, token: string, signal: AbortSignal, agent?: HttpsAgent): Promise<LivenessStream> {
  const target = new URL(url);
  if (target.protocol === "https:") return getStream(url, token, signal, agent).then(fromIncoming);
  if (target.protocol !== "http:") return Promise.reject(new Error(`unsupported protocol ${target.protocol}`));
  return fromSocket(target, token, signal);
}

function fromIncoming(res: IncomingMessage): LivenessStream {
  let gone: ((err: Error) => void) | null = null;
  let goneWith: Error | null = null;
  const end = (err: Error) => {
    if (goneWith !== null) return;
    goneWith = err;
    gone?.(err);
  };
  res.once("error", end);
  // An orderly end, a reset or an abort: the stream is gone either way (an error, if any, came first).
  res.once("close", () => end(new Error(res.complete ? "watch stream ended" : "watch stream terminated")));
  return {
    statusCode: res.statusCode ?? 0,
    onBytes: (listener) => void res.on("data", listener),
    onGone: (listener) => {
      gone = listener;
      if (goneWith !== null) listener(goneWith);
    },
    close: () => void res.destroy(),
  };
}

function fromSocket(target: URL, token: string, signal: AbortSignal): Promise<LivenessStream> {
  const path = `${target.pathname}${target.search}`;
  for (const value of [token, target.host, path]) if (!HEADER_VALUE.test(value)) return Promise.reject(new Error("invalid character in the watch request"));
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(abortReason(signal));
    const host = target.hostname.startsWith("[") ? target.hostname.slice(1, -1) : target.hostname;
    const socket = connect({ host, port: target.port === "" ? 80 : Number(target.port), noDelay: true });
    let head = "";
    let stream: LivenessStream | null = null;
    let bytes: (() => void) | null = null;
    let gone: ((err: Error) => void) | null = null;
    let goneWith: Error | null = null;
    const finish = (err: Error) => {
      if (goneWith !== null) return;
      goneWith = err;
      signal.removeEventListener("abort", onAbort);
      socket.destroy();
      if (stream === null) reject(err);
      else gone?.(err);
    };
    const onAbort = () => finish(abortReason(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    socket.once("connect", () => socket.write(`GET ${path} HTTP/1.1\r\nHost: ${target.host}\r\nAuthorization: Bearer ${token}\r\nAccept: text/event-stream\r\nConnection: close\r\n\r\n`));
    socket.on("data", (chunk: Buffer) => {
      if (stream !== null) return void bytes?.();
      head += chunk.toString("latin1");
      for (;;) {
        const end = head.indexOf("\r\n\r\n");
        if (end < 0) {
          if (head.length > MAX_HEAD_BYTES) finish(new Error("watch response head too large"));
          return;
        }
        const status = /^HTTP\/1\.[01] (\d{3})[ \r]/.exec(head);
        if (status === null) return finish(new Error("watch answer is not HTTP/1.x"));
        const code = Number(status[1]);
        head = head.slice(end + 4);
        if (code >= 100 && code < 200) continue; // an interim response: the real one follows
        stream = {
          statusCode: code,
          onBytes: (listener) => void (bytes = listener),
          onGone: (listener) => {
            gone = listener;
            if (goneWith !== null) listener(goneWith);
          },
          close: () => finish(new Error("watch closed")),
        };
        head = "";
        resolve(stream);
        return;
      }
    });
    socket.once("end", () => finish(new Error("watch stream ended")));
    socket.once("error", finish);
    socket.once("close", () => finish(new Error("watch stream terminated")));
  });
}

function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error("the watch was aborted");
}
