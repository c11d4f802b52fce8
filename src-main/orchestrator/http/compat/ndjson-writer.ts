import type { Response } from "express";
import { boundStream, type BoundedStream, type StreamBoundsOptions } from "../../../../src-node/stream-bounds.js";

/**
 * Opens a newline-delimited JSON stream (Ollama's streaming format): one JSON object per line, flushed
 * per write. The same byte bound and dead-peer limit as SSE streams; no keep-alive frame (Ollama
 * clients parse every line as JSON), so the check runs on its own tick.
 */
export function openNdjson(res: Response, options: StreamBoundsOptions = {}): BoundedStream {
  res.status(200);
  res.setHeader("Content-Type", "application/x-ndjson");
  res.setHeader("Cache-Control", "no-cache, no-transform");
  res.setHeader("X-Accel-Buffering", "no");
  res.flushHeaders();
  res.socket?.setNoDelay(true);
  return boundStream(res, null, options);
}
