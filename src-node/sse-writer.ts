import type { Response } from "express";
import { encodeSseComment } from "../src-shared/streaming/sse-codec.js";
import { boundStream, type BoundedStream, type StreamBoundsOptions } from "./stream-bounds.js";

export type SseWriter = BoundedStream;
/** Keep-alive interval, byte bound and dead-peer limit (see stream-bounds.ts). */
export type SseOptions = StreamBoundsOptions;

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
  return boundStream(res, encodeSseComment(), options);
}
