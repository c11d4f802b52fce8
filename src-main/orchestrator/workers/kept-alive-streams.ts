import { connect, type Socket } from "node:net";
import { StringDecoder } from "node:string_decoder";
import { Http1ResponseParser, HttpProtocolError } from "./http1-response-parser.js";

/** The part of a response a task stream reader uses: node's IncomingMessage has it too. */
export interface StreamResponse {
  readonly statusCode?: number | undefined;
  readonly complete: boolean;
  setEncoding(encoding: "utf8"): unknown;
  on(event: "data", listener: (chunk: string) => void): unknown;
  on(event: "end" | "close", listener: () => void): unknown;
  on(event: "error", listener: (err: Error) => void): unknown;
  destroy(): unknown;
}

/** A plain-HTTP POST to a worker: where, what, and the request's headers (values checked here). */
export interface StreamRequest {
  host: string;
  port: number;
  path: string;
  headers: Readonly<Record<string, string>>;
  body: string;
}

/** Idle kept-alive connections close before the worker's own keep-alive timeout (node's default 5 s) closes them. */
const IDLE_MS = 4_000;
const HEADER_VALUE = /^[\t\x20-\x7e]*$/;

type Delivery = { event: "data"; chunk: string } | { event: "end" | "close" } | { event: "error"; err: Error };

/**
 * The response handed to the reader once its head arrived. What the connection delivers before the
 * reader listens (the head and the first event often share a packet) is held and replayed on the next
 * tick after the first 'data' listener, as a node Readable starts flowing; after that each delivery
 * reaches the listeners in the turn its bytes arrived.
 */
class KeptAliveResponse implements StreamResponse {
  statusCode: number | undefined = undefined;
  complete = false;
  private held: Delivery[] | null = [];
  private replayScheduled = false;
  private readonly data: ((chunk: string) => void)[] = [];
  private readonly ends: (() => void)[] = [];
  private readonly closes: (() => void)[] = [];
  private readonly errors: ((err: Error) => void)[] = [];

  constructor(private readonly stop: () => void) {}

  setEncoding(): this {
    return this; // always UTF-8 text, decoded across chunk boundaries
  }

  destroy(): this {
    this.held = null;
    this.stop();
    return this;
  }

  on(event: "data", listener: (chunk: string) => void): this;
  on(event: "end" | "close", listener: () => void): this;
  on(event: "error", listener: (err: Error) => void): this;
  on(event: "data" | "end" | "close" | "error", listener: ((chunk: string) => void) | (() => void) | ((err: Error) => void)): this {
    if (event === "data") {
      this.data.push(listener as (chunk: string) => void);
      if (this.held !== null && !this.replayScheduled) {
        this.replayScheduled = true;
        process.nextTick(() => this.replay());
      }
    } else if (event === "error") this.errors.push(listener as (err: Error) => void);
    else (event === "end" ? this.ends : this.closes).push(listener as () => void);
    return this;
  }

  deliver(d: Delivery): void {
    if (this.held !== null) this.held.push(d);
    else this.dispatch(d);
  }

  private replay(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const d of held) this.dispatch(d);
  }

  private dispatch(d: Delivery): void {
    if (d.event === "data") for (const l of this.data) l(d.chunk);
    else if (d.event === "error") for (const l of this.errors) l(d.err);
    else for (const l of d.event === "end" ? this.ends : this.closes) l();
  }
}

/**
 * Task streams to workers over plain HTTP/1.1 on kept-alive connections, without node's ClientRequest:
 * the request is written to a free connection in the caller's turn (ClientRequest writes it a tick
 * later, after its own bookkeeping: ~0.2 ms per dispatch, docs/PERFORMANCE.md "sixth pass"), and the
 * response is read by Http1ResponseParser straight off the socket. One connection carries one request at
 * a time; a connection returns to the pool only after its response was read to the end. As node's
 * agent does, a request that fails on a reused connection before any byte came back (the worker
 * closed it as the request went out) is sent once more on a new one. TLS clusters keep node:https.
 */
export class KeptAliveStreams {
  private readonly idle = new Map<string, Socket[]>();
  /** Each idle connection's listener that drops it from the pool. */
  private readonly drops = new WeakMap<Socket, () => void>();

  /** Resolves with the response once its head arrived; rejects if the connection fails before, or `signal` aborts. */
  post(request: StreamRequest, signal: AbortSignal): Promise<StreamResponse> {
    const key = `${request.host}:${request.port}`;
    const bytes = requestBytes(request);
    return new Promise((resolve, reject) => this.attempt(key, request, bytes, signal, false, resolve, reject));
  }

  /** Idle connections per worker address (tests). */
  idleCount(): number {
    let n = 0;
    for (const list of this.idle.values()) n += list.length;
    return n;
  }

  /** Closes every idle connection. */
  close(): void {
    for (const list of this.idle.values()) for (const socket of list) socket.destroy();
    this.idle.clear();
  }

  private attempt(key: string, request: StreamRequest, bytes: string, signal: AbortSignal, retried: boolean, resolve: (res: StreamResponse) => void, reject: (err: unknown) => void): void {
    if (signal.aborted) return reject(abortError(signal));
    const reused = retried ? undefined : this.take(key);
    const socket = reused ?? connect({ host: request.host, port: request.port, noDelay: true });
    socket.ref();
    const decoder = new StringDecoder("utf8");
    let received = false;
    let headed = false;
    let over = false;
    const res = new KeptAliveResponse(() => finish(null, true));
    const parser = new Http1ResponseParser({
      head: (status) => {
        headed = true;
        res.statusCode = status;
        resolve(res);
      },
      body: (chunk) => {
        const text = decoder.write(chunk);
        if (text.length > 0) res.deliver({ event: "data", chunk: text });
      },
      complete: () => {
        const tail = decoder.end();
        if (tail.length > 0 && !over) res.deliver({ event: "data", chunk: tail });
        if (over) return;
        res.complete = true;
        finish(null, !parser.keepAlive || signal.aborted);
        res.deliver({ event: "end" });
        res.deliver({ event: "close" });
      },
    });
    // This request stops listening to the socket and the signal.
    const detach = (): void => {
      over = true;
      parser.stop();
      socket.off("data", onData);
      socket.off("error", onError);
      socket.off("close", onClose);
      socket.off("end", onEnd);
      signal.removeEventListener("abort", onAbort);
    };
    // Ends this request's use of the socket: back to the pool, or destroyed.
    const finish = (err: Error | null, destroy: boolean): void => {
      if (over) return;
      detach();
      if (destroy || err !== null) socket.destroy();
      else this.release(key, socket);
      if (err === null) return;
      if (!headed) reject(err);
      else {
        res.deliver({ event: "error", err });
        res.deliver({ event: "close" });
      }
    };
    const onData = (chunk: Buffer): void => {
      received = true;
      try {
        parser.feed(chunk);
      } catch (err) {
        finish(err instanceof Error ? err : new Error(String(err)), true);
      }
    };
    const onBroken = (err: Error): void => {
      if (over) return;
      if (reused !== undefined && !received && !retried && !signal.aborted) {
        // The keep-alive race: the worker closed this idle connection as the request went out on it.
        detach();
        socket.destroy();
        this.attempt(key, request, bytes, signal, true, resolve, reject);
        return;
      }
      finish(signal.aborted ? abortError(signal) : err, true);
    };
    const onError = (err: Error): void => onBroken(err);
    const onClose = (): void => onBroken(connectionClosed(received));
    const onEnd = (): void => {
      try {
        if (parser.eof()) return;
      } catch (err) {
        return finish(err instanceof HttpProtocolError ? err : new Error(String(err)), true);
      }
      onBroken(connectionClosed(received));
    };
    const onAbort = (): void => finish(abortError(signal), true);
    socket.on("data", onData);
    socket.on("error", onError);
    socket.on("close", onClose);
    socket.on("end", onEnd);
    signal.addEventListener("abort", onAbort, { once: true });
    socket.write(bytes, "utf8");
  }

  /** A live idle connection to `key`, the most recently used first. */
  private take(key: string): Socket | undefined {
    const list = this.idle.get(key);
    while (list !== undefined && list.length > 0) {
      const socket = list.pop() as Socket;
      const drop = this.drops.get(socket);
      this.drops.delete(socket);
      if (drop !== undefined) socket.off("data", drop).off("end", drop).off("close", drop).off("error", drop).off("timeout", drop);
      socket.setTimeout(0);
      if (!socket.destroyed && socket.readyState === "open") return socket;
      socket.destroy();
    }
    return undefined;
  }

  private release(key: string, socket: Socket): void {
    // A response that came before the request was fully written (an early refusal) leaves the connection unusable.
    if (socket.destroyed || socket.readyState !== "open" || socket.writableLength > 0) {
      socket.destroy();
      return;
    }
    let list = this.idle.get(key);
    if (list === undefined) this.idle.set(key, (list = []));
    const pooled = list;
    const drop = (): void => {
      const at = pooled.indexOf(socket);
      if (at >= 0) pooled.splice(at, 1);
      this.drops.delete(socket);
      socket.destroy();
    };
    this.drops.set(socket, drop);
    // While idle nothing may arrive; an end, an error or silence past IDLE_MS closes it.
    socket.on("data", drop).on("end", drop).on("close", drop).on("error", drop).on("timeout", drop);
    socket.setTimeout(IDLE_MS);
    socket.unref();
    pooled.push(socket);
  }
}

function requestBytes(r: StreamRequest): string {
  let head = `POST ${r.path} HTTP/1.1\r\nHost: ${r.host.includes(":") ? `[${r.host}]` : r.host}:${r.port}\r\n`;
  for (const [name, value] of Object.entries(r.headers)) {
    // Our own values (the cluster token, a trace id); a CR or LF in one would split the request.
    if (!/^[A-Za-z0-9-]+$/.test(name) || !HEADER_VALUE.test(value)) throw new Error(`header ${name} cannot be sent (control characters)`);
    head += `${name}: ${value}\r\n`;
  }
  return `${head}Content-Length: ${Buffer.byteLength(r.body, "utf8")}\r\nConnection: keep-alive\r\n\r\n${r.body}`;
}

function connectionClosed(received: boolean): Error {
  return Object.assign(new Error(received ? "the connection closed" : "socket hang up"), { code: "ECONNRESET" });
}

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : Object.assign(new Error("This operation was aborted"), { name: "AbortError", code: "ABORT_ERR" });
}

/** The orchestrator's one pool of worker stream connections (as node's global agent is one). */
export const keptAliveStreams = new KeptAliveStreams();
