import type { Response } from "express";
import { watchDeadPeer } from "./dead-peer-watch.js";
import { procSendQueues, type SendQueueReader } from "./tcp-send-queue.js";

/**
 * The bounds every long-lived response stream keeps on its client, whatever its framing (SSE, NDJSON):
 * a byte bound on what the client leaves unread and a dead-peer limit on acknowledged progress. When
 * either trips, the response is destroyed, so its "close" handlers run (a surface cancels its own task there).
 */
export const DEFAULT_KEEP_ALIVE_MS = 15_000;
/**
 * How long a stream may have bytes outstanding with no byte acknowledged by the peer (nor taken by the
 * kernel, where /proc cannot be read) before it is closed as a dead peer: a client that vanished
 * without a FIN or reset, or stopped reading. Checked once per keepAliveMs by one sweep for every stream
 * (src-node/dead-peer-watch.ts), so a dead peer goes within about deadPeerMs + 2 × keepAliveMs. An idle,
 * live client acknowledges what it was sent and stays.
 */
export const DEFAULT_DEAD_PEER_MS = 60_000;
/**
 * Bytes a client may leave unread in the response's buffer (beyond what the kernel holds) before it is
 * disconnected. Writes never wait for a reader, so one slow client cannot stall the fan-out to the
 * others; without a bound its buffer would grow with everything the stream ever sends (the dashboard
 * feed never ends). A task stream's client reconnects with Last-Event-ID and replays what it missed;
 * the dashboard starts over from a snapshot. Larger than the 1,000-node dashboard snapshot (~0.9 MB).
 */
export const DEFAULT_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
const sendQueues: SendQueueReader = procSendQueues();

export interface StreamBoundsOptions {
  /** Interval of the dead-peer check (and of keep-alive frames, where the framing has one). */
  keepAliveMs?: number;
  /** Unread bytes past which the client is disconnected (see DEFAULT_MAX_BUFFERED_BYTES). */
  maxBufferedBytes?: number;
  /** No acknowledged progress for this long with bytes outstanding closes the stream (see DEFAULT_DEAD_PEER_MS). */
  deadPeerMs?: number;
  /** Where unacknowledged bytes are read from (tests substitute it). */
  sendQueues?: SendQueueReader;
}

export interface BoundedStream {
  write(frame: string): void;
  close(): void;
  /** True once the response ended or the client went away (or was dropped by a bound). */
  readonly closed: boolean;
}

/**
 * Wraps a response whose headers are already sent. `keepAliveFrame` is written at each tick (SSE: a
 * comment); null for framings that have none (NDJSON: every line must be a JSON object), where only the
 * peer is checked: a live client has nothing outstanding between lines, a dead one keeps it.
 */
export function boundStream(res: Response, keepAliveFrame: string | null, options: StreamBoundsOptions = {}): BoundedStream {
  const maxBuffered = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
  let closed = false;
  const stop = () => {
    if (tick !== null) clearInterval(tick);
    unwatch();
  };
  const drop = () => {
    closed = true;
    stop();
    res.destroy();
  };
  const write = (frame: string) => {
    if (closed || res.writableEnded || res.destroyed) return;
    // Checked before the write: one frame larger than the bound still goes to a client that keeps up.
    if (res.writableLength > maxBuffered) return drop();
    res.write(frame);
  };
  const keepAliveMs = options.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS;
  const unwatch = watchDeadPeer(
    {
      socket: () => res.socket,
      onDead: () => {
        if (!closed && !res.writableEnded && !res.destroyed) drop();
      },
    },
    options.deadPeerMs ?? DEFAULT_DEAD_PEER_MS,
    keepAliveMs,
    options.sendQueues ?? sendQueues,
  );
  const tick =
    keepAliveFrame === null
      ? null
      : setInterval(() => {
          if (closed || res.writableEnded || res.destroyed) return;
          write(keepAliveFrame);
        }, keepAliveMs);
  tick?.unref();
  res.on("close", () => {
    closed = true;
    stop();
  });
  return {
    write,
    close() {
      stop();
      if (!closed && !res.writableEnded) res.end();
      closed = true;
    },
    get closed() {
      return closed;
    },
  };
}
