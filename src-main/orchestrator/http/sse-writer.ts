import type { Response } from "express";
import { encodeSseComment } from "../../../src-shared/streaming/sse-codec.js";

const KEEP_ALIVE_MS = 15_000;

/** Opens an SSE response: headers for no buffering anywhere, a flush per write, keep-alive comments. */
export function openSse(res: Response, extraHeaders: Record<string, string> = {}): { write(frame: string): void; close(): void } {
  res.status(200);
  res.setHeader("Content-Type", "text/event-stream; charset=utf-8");
  res.setHeader("Cache-Control", "no-cache, no-transform");
  res.setHeader("Connection", "keep-alive");
  res.setHeader("X-Accel-Buffering", "no");
  for (const [k, v] of Object.entries(extraHeaders)) res.setHeader(k, v);
  res.flushHeaders();
  res.socket?.setNoDelay(true);
  const keepAlive = setInterval(() => res.write(encodeSseComment()), KEEP_ALIVE_MS);
  keepAlive.unref();
  let closed = false;
  res.on("close", () => {
    closed = true;
    clearInterval(keepAlive);
  });
  return {
    write(frame) {
      if (!closed) res.write(frame);
    },
    close() {
      clearInterval(keepAlive);
      if (!closed) res.end();
      closed = true;
    },
  };
}
