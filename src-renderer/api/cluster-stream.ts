import { ClusterEventSchema, type ClusterEvent } from "../../src-shared/dashboard/cluster-events.js";
import { FeedSequence } from "../../src-shared/dashboard/feed-sequence.js";
import { readSseFrames } from "../../src-shared/streaming/read-sse.js";
import { applyClusterEvents, FrameBatcher, type ClusterStores } from "../stores/cluster.js";
import { apiErrorFromBody } from "./errors.js";
import type { FetchLike } from "./client.js";

/** Reconnect delay after `attempt` consecutive failures: 0.5 s doubling to 15 s, with ±20 % jitter. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(15_000, 500 * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.8 + 0.4 * random()));
}

/** The orchestrator sends stats every second; this much silence means the stream is dead. */
const STALL_MS = 10_000;

/** Parses one SSE frame of GET /v2/events; null for frames it does not know (newer server). */
export function parseClusterFrame(event: string, data: string): ClusterEvent | null {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return null;
  }
  const parsed = ClusterEventSchema.safeParse({ event, data: json });
  return parsed.success ? parsed.data : null;
}

/**
 * The dashboard's single live connection: GET /v2/events over fetch (so a 401 is visible, which an
 * EventSource hides), frames validated with zod and applied to the stores once per animation frame,
 * reconnecting with backoff. The connection store shows what it is doing. It asks for protocol 2:
 * the snapshot in pages (applied as they come) and numbered node deltas; a missing frame (a gap in
 * the numbers, or a delta for a node it does not have) makes it resync at once: a new connection and snapshot.
 */
export class ClusterStream {
  private abort: AbortController | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private stallTimer: ReturnType<typeof setTimeout> | null = null;
  private stopped = true;
  private readonly batcher: FrameBatcher<ClusterEvent>;
  /** Resyncs so far (tests and the console read it). */
  resyncs = 0;
  private lastResyncMs = -Infinity;
  private resyncStreak = 0;

  constructor(
    private readonly stores: ClusterStores,
    private readonly fetchImpl: FetchLike = (input, init) => fetch(input, init),
    batcher?: FrameBatcher<ClusterEvent>,
  ) {
    this.batcher =
      batcher ??
      new FrameBatcher<ClusterEvent>((events) => {
        if (applyClusterEvents(stores, events, Date.now()) === "resync") this.resync("a node delta did not apply");
      });
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.stores.connection.getState().set({ status: "connecting", attempt: 0, retryAtMs: null });
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimers();
    this.abort?.abort();
    this.abort = null;
  }

  /** Reconnect now (the "Retry" button, or after logging in again). */
  retryNow(): void {
    this.stop();
    this.start();
  }

  /** Drops the connection and opens a new one at once for a fresh snapshot (a frame was missed). */
  resync(reason: string): void {
    if (this.stopped) return;
    this.resyncs++;
    console.warn(`dashboard feed: ${reason}; resyncing`);
    this.clearTimers();
    this.abort?.abort();
    this.abort = null;
    // At once, unless resyncs keep coming (a bug somewhere): then with backoff, never in a tight loop.
    const now = Date.now();
    this.resyncStreak = now - this.lastResyncMs < 5000 ? this.resyncStreak + 1 : 0;
    this.lastResyncMs = now;
    if (this.resyncStreak === 0) void this.connect();
    else
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        if (!this.stopped) void this.connect();
      }, backoffMs(this.resyncStreak));
  }

  private clearTimers(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.retryTimer = null;
    this.stallTimer = null;
  }

  private armStallTimer(controller: AbortController): void {
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.stallTimer = setTimeout(() => controller.abort(new DOMException("no data for 10 s", "TimeoutError")), STALL_MS);
  }

  private async connect(): Promise<void> {
    const controller = new AbortController();
    this.abort = controller;
    const conn = this.stores.connection;
    let gotSnapshot = false;
    const sequence = new FeedSequence();
    try {
      this.armStallTimer(controller);
      const res = await this.fetchImpl("/v2/events?protocol=2", { credentials: "same-origin", headers: { accept: "text/event-stream" }, signal: controller.signal });
      if (!res.ok || res.body === null) {
        const text = await res.text().catch(() => "");
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        const err = apiErrorFromBody(res.status, body);
        if (err.isAuth) {
          this.stop();
          conn.getState().set({ status: "unauthorized", lastError: `${err.code}: ${err.message}`, retryAtMs: null });
          return;
        }
        throw err;
      }
      // Any chunk, keep-alive comments included, proves the stream is alive.
      for await (const frame of readSseFrames(res.body, { onChunk: () => this.armStallTimer(controller) })) {
        const event = parseClusterFrame(frame.event, frame.data);
        if (event === null) continue;
        if (sequence.accept(event) === "resync") {
          if (this.abort === controller) this.resync(`frame out of sequence (${event.event})`);
          return;
        }
        if ((event.event === "snapshot" || event.event === "snapshot_begin") && !gotSnapshot) {
          gotSnapshot = true;
          conn.getState().set({ status: "live", retryAtMs: null, lastError: null, liveSinceMs: Date.now() });
        }
        // The backoff starts over only once a whole snapshot arrived: a stream cut mid-snapshot, again and
        // again (a proxy's limit, an orchestrator dropping a slow reader), backs off instead of fetching
        // the snapshot anew every 0.5 s.
        if (event.event === "snapshot" || event.event === "snapshot_end") conn.getState().set({ attempt: 0 });
        this.batcher.push(event);
      }
      throw new Error("the orchestrator closed the event stream");
    } catch (err) {
      // Stopped, or replaced by a resync's new connection: nothing to do for this one.
      if (this.stopped || this.abort !== controller) return;
      const attempt = conn.getState().attempt + 1;
      const delay = backoffMs(attempt);
      const message = err instanceof Error ? err.message : String(err);
      conn.getState().set({ status: "reconnecting", attempt, retryAtMs: Date.now() + delay, lastError: message });
      if (this.stallTimer) clearTimeout(this.stallTimer);
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        if (!this.stopped) void this.connect();
      }, delay);
    }
  }
}
