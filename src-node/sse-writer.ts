import type { Response } from "express";
import { encodeSseComment } from "../src-shared/streaming/sse-codec.js";
import { procSendQueues, type SendQueueReader } from "./tcp-send-queue.js";

const DEFAULT_KEEP_ALIVE_MS = 15_000;
/**
 * How long a stream may have bytes outstanding with no byte acknowledged by the peer (nor taken by the
 * kernel, where /proc cannot be read) before it is closed as a dead peer: a client that vanished
 * without a FIN or reset, or stopped reading. Checked at each keep-alive, so a dead peer goes within
 * about deadPeerMs + 2 × keepAliveMs. An idle, live client acknowledges each keep-alive and stays.
 */
export const DEFAULT_DEAD_PEER_MS = 60_000;
const sendQueues: SendQueueReader = procSendQueues();
/**
 * Bytes a client may leave unread in the response's buffer (beyond what the kernel holds) before it is
 * disconnected. Writes never wait for a reader, so one slow client cannot stall the fan-out to the
 * others; without a bound its buffer would grow with everything the stream ever sends (the dashboard
 * feed never ends). A task stream's client reconnects with Last-Event-ID and replays what it missed;
 * the dashboard starts over from a snapshot. Larger than the 1,000-node dashboard snapshot (~0.9 MB).
 */
export const DEFAULT_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

export interface SseWriter {
  write(frame: string): void;
  close(): void;
  /** True once the response ended or the client went away. */
  readonly closed: boolean;
}

export interface SseOptions {
  /** Interval of keep-alive comments (proxies and liveness watchers see traffic). */
  keepAliveMs?: number;
  /** Unread bytes past which the client is disconnected (see DEFAULT_MAX_BUFFERED_BYTES). */
  maxBufferedBytes?: number;
  /** No acknowledged progress for this long with bytes outstanding closes the stream (see DEFAULT_DEAD_PEER_MS). */
  deadPeerMs?: number;
  /** Where unacknowledged bytes are read from (tests substitute it). */
  sendQueues?: SendQueueReader;
}

/** Opens an SSE response: headers for no buffering anywhere, a flush per write, keep-alive comments. */
export function openSse(res: Response, extraHeaders: Record<string, string> = {}, options: SseOptions = {}): SseWriter {
  res.status(200);
  res.setHeader("Content-Type", "text/event-stream; charset=utf-8");
  res.setHeader("Cache-Control", "no-cache, no-transform");
  res.setHeader("Connection", "keep-alive");
  res.setHeader("X-Accel-Buffering", "no");
  for (const [k, v] of Object.entries(extraHeaders)) res.setHeader(k, v);
  res.flushHeaders();
  // Small frames: Nagle would hold tokens back.
  res.socket?.setNoDelay(true);
  const maxBuffered = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
  let closed = false;
  const write = (frame: string) => {
    if (closed || res.writableEnded || res.destroyed) return;
    // Checked before the write: one frame larger than the bound still goes to a client that keeps up.
    if (res.writableLength > maxBuffered) {
      closed = true;
      clearInterval(keepAlive);
      res.destroy();
      return;
    }
    res.write(frame);
  };
  const deadPeer = deadPeerCheck(res, options.deadPeerMs ?? DEFAULT_DEAD_PEER_MS, options.sendQueues ?? sendQueues);
  const keepAlive = setInterval(() => {
    if (closed || res.writableEnded || res.destroyed) return;
    if (deadPeer()) {
      closed = true;
      clearInterval(keepAlive);
      res.destroy();
      return;
    }
    write(encodeSseComment());
  }, options.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS);
  keepAlive.unref();
  res.on("close", () => {
    closed = true;
    clearInterval(keepAlive);
  });
  return {
    write,
    close() {
      clearInterval(keepAlive);
      if (!closed && !res.writableEnded) res.end();
      closed = true;
    },
    get closed() {
      return closed;
    },
  };
}

/**
 * True once the connection has had bytes outstanding (in Node's buffer or unacknowledged in the
 * kernel) with no acknowledged progress for `limitMs`. Called at each keep-alive, before writing it.
 */
function deadPeerCheck(res: Response, limitMs: number, queues: SendQueueReader): () => boolean {
  let lastAcked = -1;
  let stuckSince: number | null = null;
  return () => {
    const socket = res.socket;
    if (socket === null) return false;
    const buffered = socket.writableLength;
    const unacked = queues.unacked(socket) ?? 0;
    // Bytes the kernel took, minus those the peer has not acknowledged: what the peer really has.
    const acked = socket.bytesWritten - buffered - unacked;
    const outstanding = buffered + unacked;
    const now = Date.now();
    if (outstanding === 0 || acked > lastAcked) {
      lastAcked = acked;
      stuckSince = outstanding === 0 ? null : now;
      return false;
    }
    stuckSince ??= now;
    return now - stuckSince >= limitMs;
  };
}
