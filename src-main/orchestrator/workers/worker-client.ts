import { readBoundedJson } from "../../../src-node/bounded-response.js";
import type { Agent as HttpsAgent } from "node:https";
import { parseSseEvent, SseLineTooLongError, SseParser } from "../../../src-shared/streaming/sse-codec.js";
import type { SseEvent } from "../../../src-shared/streaming/sse-events.js";
import { ErrorEnvelopeSchema, type ErrorEnvelope } from "../../../src-shared/errors/error-envelope.js";
import { PoolStatusSchema, type PoolStatus } from "../../../src-shared/worker-api/pool-status.js";
import { SimulatedHangAcceptedSchema, type SimulatedHangAccepted } from "../../../src-shared/worker-api/simulated-hang.js";
import type { WorkerInferRequest } from "../../../src-shared/worker-api/worker-infer.js";
import type { FetchLike } from "../../../src-node/tls/cluster-fetch.js";
import { getText } from "../../../src-node/get-text.js";
import { IdleAbort } from "./idle-abort.js";
import { keptAliveStreams, type KeptAliveStreams, type StreamResponse } from "./kept-alive-streams.js";
import { postStream } from "./post-stream.js";

/** What a task stream carries before its terminal event, and that terminal event. */
export type WorkerStreamEvent = Exclude<SseEvent, { event: "end" } | { event: "error" }>;
export type WorkerTerminalEvent = Extract<SseEvent, { event: "end" } | { event: "error" }>;

/** What reads a task stream (WorkerClient.infer). */
export interface TaskStreamReader {
  /** Each event before the terminal one; false stops reading. */
  event(event: WorkerStreamEvent): boolean;
  /**
   * The terminal event, in the turn its frame arrived: the answer can leave before the promise chain
   * that carries the same event (and node's stream bookkeeping queued ahead of it) has run.
   */
  terminal?(event: WorkerTerminalEvent): void;
}

/** Why an upstream stream ended without a terminal event, or never started. */
export type UpstreamFailure =
  | { kind: "refused"; status: number; envelope: ErrorEnvelope | null }
  | { kind: "connection"; message: string }
  | { kind: "protocol"; message: string };

export class UpstreamError extends Error {
  constructor(readonly failure: UpstreamFailure) {
    super(failure.kind === "refused" ? `worker answered ${failure.status}${failure.envelope ? ` ${failure.envelope.code}: ${failure.envelope.message}` : ""}` : failure.message);
  }
}

/** HTTP client for one worker agent's API (src-shared/worker-api), authenticated with the cluster token. */
export class WorkerClient {
  constructor(
    private readonly address: string,
    private readonly token: string,
    /** Over TLS, a fetch that trusts the cluster CA and checks the node's name (workers/node-fetches.ts). */
    private readonly fetch: FetchLike = globalThis.fetch,
    /** The same trust for task streams (read with node:https, see post-stream.ts). */
    private readonly streamAgent?: HttpsAgent,
    /** Plain-HTTP task streams (ignored over TLS, which uses node:https with `streamAgent`). */
    private readonly streams: KeptAliveStreams = keptAliveStreams,
  ) {
    this.plain = streamAgent === undefined ? plainTarget(address) : null;
  }

  /** Where plain-HTTP task streams connect; null over TLS. */
  private readonly plain: PlainTarget | null;

  /**
   * Streams a task's events from the worker: `reader.event` gets each event before the terminal one, in the
   * turn its bytes arrived (returning false stops reading and closes the connection: resolves null), and
   * `reader.terminal`, when given, the terminal event in that same turn, before the promise settles.
   * Resolves with the worker's terminal event; rejects with UpstreamError when the request is refused,
   * the connection breaks first, a frame is invalid, or no byte (event or keep-alive) arrives for `idleMs`.
   * Callbacks on the socket's 'data', not an async iterator: per token that saves the promises of the
   * stream iterator and of an async generator and its consumer (GC was ~20 % of the proxy's busy time).
   */
  async infer(poolId: string, body: WorkerInferRequest, signal: AbortSignal, idleMs: number, reader: TaskStreamReader, traceparent?: string, firstTokenMs = 0): Promise<WorkerTerminalEvent | null> {
    // firstTokenMs (worker_first_token_timeout_ms): keep-alives alone do not hold a task past it.
    const idle = new IdleAbort(idleMs, signal, undefined, firstTokenMs);
    // Aborted by the scheduler (e.g. its node turned Suspect): name why, not just "aborted".
    const why = (err: unknown) => (signal.aborted && signal.reason instanceof Error ? signal.reason.message : errorText(err));
    const broke = (what: string, err: unknown) =>
      new UpstreamError({ kind: "connection", message: idle.stalled ? `worker sent only keep-alives for ${firstTokenMs} ms after accepting the task (worker_first_token_timeout_ms)` : idle.fired ? `worker stream went silent: no bytes for ${idleMs} ms` : `${what}: ${why(err)}` });
    try {
      // Serialised before the request: a body that cannot be is our error, not a broken connection.
      const json = JSON.stringify(body);
      const path = `/v2/pools/${encodeURIComponent(poolId)}/infer`;
      // Plain HTTP: written to a kept-alive connection in this turn (a header that cannot be sent throws here: ours).
      const opened: Promise<StreamResponse> =
        this.plain !== null
          ? this.streams.post({ host: this.plain.host, port: this.plain.port, path: `${this.plain.basePath}${path}`, headers: { authorization: `Bearer ${this.token}`, "content-type": "application/json", accept: "text/event-stream", ...(traceparent !== undefined ? { traceparent } : {}) }, body: json }, idle.signal)
          : postStream(`${this.address}${path}`, this.token, json, idle.signal, { traceparent, agent: this.streamAgent });
      let res: StreamResponse;
      try {
        res = await opened;
      } catch (err) {
        throw broke("cannot reach worker", err);
      }
      const status = res.statusCode ?? 0;
      if (status < 200 || status >= 300) {
        throw new UpstreamError({ kind: "refused", status, envelope: await readEnvelopeText(res) });
      }
      return await readEvents(res, idle, reader, broke, tokenEventLimit(body.max_tokens));
    } finally {
      idle.stop();
    }
  }

  async cancel(taskId: string): Promise<void> {
    await this.fetch(`${this.address}/v2/tasks/${encodeURIComponent(taskId)}/cancel`, {
      method: "POST",
      headers: { authorization: `Bearer ${this.token}` },
      signal: AbortSignal.timeout(2000),
    }).catch(() => undefined);
  }

  /**
   * The pool's status (the probes' call, 20 a second at 1,000 nodes): node:http, not fetch (see
   * get-text.ts); over TLS with the node's agent, the same trust as task streams.
   */
  async poolStatus(poolId: string, timeoutMs: number): Promise<PoolStatus> {
    const { status, text } = await getText(`${this.address}/v2/pools/${encodeURIComponent(poolId)}/status`, this.token, timeoutMs, { agent: this.streamAgent });
    if (status < 200 || status >= 300) throw new UpstreamError({ kind: "refused", status, envelope: envelopeOf(text) });
    return PoolStatusSchema.parse(JSON.parse(text));
  }

  /** The self-test's simulated hang (operator's consent checked by the caller); resolves once the worker accepted it. */
  async simulateHang(hangMs: number, signal: AbortSignal): Promise<SimulatedHangAccepted> {
    const res = await this.fetch(`${this.address}/v2/faults/hang`, {
      method: "POST",
      headers: { authorization: `Bearer ${this.token}`, "content-type": "application/json" },
      body: JSON.stringify({ hang_ms: hangMs }),
      signal: AbortSignal.any([signal, AbortSignal.timeout(5000)]),
    });
    if (res.status !== 202) throw new UpstreamError({ kind: "refused", status: res.status, envelope: await readEnvelope(res) });
    return SimulatedHangAcceptedSchema.parse(await readBoundedJson(res, NODE_ANSWER_MAX_BYTES));
  }

  /** Forwards a pool command (drain/reload) and returns the worker's status and JSON body. */
  async poolCommand(poolId: string, command: "drain" | "reload", body: unknown): Promise<{ status: number; body: unknown }> {
    const res = await this.fetch(`${this.address}/v2/pools/${encodeURIComponent(poolId)}/${command}`, {
      method: "POST",
      headers: { authorization: `Bearer ${this.token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    return { status: res.status, body: await readBoundedJson(res, NODE_ANSWER_MAX_BYTES) };
  }
}

/** Where each plain-HTTP worker address connects (a client is made per dispatch; the URL is parsed once). */
/**
 * Host, port and the advertised URL's path (a worker behind a reverse proxy at `http://gw/node-a`), which
 * every worker route sits under: status, watch and cancel requests keep it, and task streams must too.
 */
interface PlainTarget {
  host: string;
  port: number;
  /** The address's path without its trailing slash ("" for a bare host:port). */
  basePath: string;
}

const plainTargets = new Map<string, PlainTarget | null>();

function plainTarget(address: string): PlainTarget | null {
  let target = plainTargets.get(address);
  if (target !== undefined) return target;
  // Bracketed IPv6 literals connect without their brackets. An address that does not parse fails at dispatch, as before.
  const url = URL.canParse(address) ? new URL(address) : null;
  target = url?.protocol === "http:" ? { host: url.hostname.replace(/^\[(.*)\]$/, "$1"), port: Number(url.port || 80), basePath: url.pathname.replace(/\/+$/, "") } : null;
  if (plainTargets.size >= 4096) plainTargets.clear(); // addresses change rarely; bounded all the same
  plainTargets.set(address, target);
  return target;
}

/** The longest line of a worker's task stream the orchestrator reads (an 8,192-number embedding is ~200 KB). */
const WORKER_EVENT_MAX_CHARS = 4 * 1024 * 1024;
/** A node's JSON answer (pool command, fault, refusal) read at most this far: a node may be hostile. */
export const NODE_ANSWER_MAX_BYTES = 1024 * 1024;

/** Most token text one attempt may carry: far above any real answer, well below V8's longest string (~512 Mi). */
const WORKER_TOKEN_TEXT_MAX_CHARS = 128 * 1024 * 1024;

interface TokenLimit {
  maxTokens: number;
  events: number;
  chars: number;
}

/**
 * Most token events one attempt may carry. A worker sends at most one per generated token (fewer when a
 * chunk holds several; a finished tool call adds one), so twice max_tokens is far above a real worker's
 * stream. A worker that ignores max_tokens and streams on (a bug, or not our worker) would otherwise grow
 * the task's event log until the orchestrator ran out of memory (seen: dead within 10 s).
 */
function tokenEventLimit(maxTokens: number): TokenLimit {
  return { maxTokens, events: 2 * maxTokens + 16, chars: WORKER_TOKEN_TEXT_MAX_CHARS };
}

/**
 * Reads a task stream straight off the socket (setEncoding keeps multi-byte characters whole across
 * chunks): a chunk's frames are handed on in the same turn, so their writes to the client leave together.
 * After the terminal event the rest of the response is still read (the listener stays, ignoring it) so
 * the connection goes back to the pool; stopping before it (consumer gone, bad frame) closes it.
 */
function readEvents(res: StreamResponse, idle: IdleAbort, reader: TaskStreamReader, broke: (what: string, err: unknown) => UpstreamError, tokenLimit: TokenLimit): Promise<WorkerTerminalEvent | null> {
  res.setEncoding("utf8");
  // A worker's events are small (a token, an embedding of a few thousand numbers): a longer line is a broken worker.
  const parser = new SseParser(WORKER_EVENT_MAX_CHARS);
  return new Promise((resolve, reject) => {
    let done = false;
    let tokenEvents = 0;
    let tokenChars = 0;
    const settle = (outcome: { event: WorkerTerminalEvent | null } | { error: unknown }, close: boolean) => {
      done = true;
      if (close && !res.complete) res.destroy();
      if ("error" in outcome) reject(outcome.error);
      else resolve(outcome.event);
    };
    res.on("data", (chunk: string) => {
      if (done) return;
      idle.touch();
      try {
        for (const frame of parser.feed(chunk)) {
          const parsed = parseSseEvent(frame);
          if (!parsed.ok) return settle({ error: new UpstreamError({ kind: "protocol", message: `worker sent a bad event: ${parsed.message}` }) }, true);
          const event = parsed.event;
          if (event.event === "end" || event.event === "error") {
            done = true;
            reader.terminal?.(event);
            return settle({ event }, false);
          }
          if (event.event === "token" && (++tokenEvents > tokenLimit.events || (tokenChars += event.data.t.length) > tokenLimit.chars)) {
            const what = tokenEvents > tokenLimit.events ? `more than ${tokenLimit.events} token events` : `more than ${tokenLimit.chars} characters of tokens`;
            return settle({ error: new UpstreamError({ kind: "protocol", message: `worker streamed ${what} for a task of max_tokens ${tokenLimit.maxTokens} without ending it: stream closed` }) }, true);
          }
          // An answer (token, embedding, score) is progress; `started` and `metrics` frames are not, or a node could hold the task with them.
          if (event.event !== "started" && event.event !== "metrics") idle.progress();
          if (!reader.event(event)) return settle({ event: null }, true);
        }
      } catch (err) {
        if (err instanceof SseLineTooLongError) return settle({ error: new UpstreamError({ kind: "protocol", message: `worker sent a bad event: ${err.message}` }) }, true);
        // The consumer threw: stop as an async iterator's consumer would, with its error.
        settle({ error: err }, true);
      }
    });
    res.on("end", () => {
      if (!done) settle({ error: new UpstreamError({ kind: "connection", message: "worker stream ended without a terminal event" }) }, false);
    });
    res.on("error", (err) => {
      if (!done) settle({ error: broke("worker stream broke", err) }, true);
    });
    res.on("close", () => {
      if (!done) settle({ error: broke("worker stream broke", new Error("the connection closed")) }, false);
    });
  });
}

async function readEnvelope(res: Response): Promise<ErrorEnvelope | null> {
  const parsed = ErrorEnvelopeSchema.safeParse(await readBoundedJson(res, NODE_ANSWER_MAX_BYTES).catch(() => null));
  return parsed.success ? parsed.data : null;
}

/** A refusal's body, read to its end (at most 64 KiB kept): the worker's error envelope, or null. */
async function readEnvelopeText(res: StreamResponse): Promise<ErrorEnvelope | null> {
  res.setEncoding("utf8");
  const text = await new Promise<string | null>((resolve) => {
    let body = "";
    res.on("data", (chunk) => {
      if (body.length < 65_536) body += chunk;
    });
    res.on("end", () => resolve(body));
    res.on("error", () => resolve(null));
    res.on("close", () => resolve(res.complete ? body : null));
  });
  if (text === null) return null;
  return envelopeOf(text);
}

/** The error envelope in a refusal's body, or null when it is not one. */
function envelopeOf(text: string): ErrorEnvelope | null {
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  const parsed = ErrorEnvelopeSchema.safeParse(json);
  return parsed.success ? parsed.data : null;
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message} (${cause.message})` : err.message;
  }
  return String(err);
}
