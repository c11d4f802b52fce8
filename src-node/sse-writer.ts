import type { Response } from "express";
import { encodeSseComment } from "../src-shared/streaming/sse-codec.js";

const DEFAULT_KEEP_ALIVE_MS = 15_000;

export interface SseWriter {
  write(frame: string): void;
  close(): void;
  /** True once the response ended or the client went away. */
  readonly closed: boolean;
}

export interface SseOptions {
  /** Interval of keep-alive comments (proxies and liveness watchers see traffic). */
  keepAliveMs?: number;
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
  const keepAlive = setInterval(() => res.write(encodeSseComment()), options.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS);
  keepAlive.unref();
  let closed = false;
  res.on("close", () => {
    closed = true;
    clearInterval(keepAlive);
  });
  return {
    write(frame) {
      if (!closed && !res.writableEnded && !res.destroyed) res.write(frame);
    },
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
