import type { Response } from "express";

/** Opens a newline-delimited JSON stream (Ollama's streaming format): one JSON object per line, flushed per write. */
export function openNdjson(res: Response): { write(line: string): void; close(): void } {
  res.status(200);
  res.setHeader("Content-Type", "application/x-ndjson");
  res.setHeader("Cache-Control", "no-cache, no-transform");
  res.setHeader("X-Accel-Buffering", "no");
  res.flushHeaders();
  res.socket?.setNoDelay(true);
  let closed = false;
  res.on("close", () => {
    closed = true;
  });
  return {
    write(line) {
      if (!closed) res.write(line);
    },
    close() {
      if (!closed) res.end();
      closed = true;
    },
  };
}
