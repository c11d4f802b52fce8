import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import type { Request, Response } from "express";
import { OrchError } from "../../src-shared/errors/orch-error.js";
import type { ModelCatalog } from "../catalog/model-catalog.js";
import type { Logger } from "../logging/logger.js";
import type { WorkerMetrics } from "../metrics/worker-metrics.js";

/** `bytes=<start>-` or `bytes=<start>-<end>`; one range only (all a resuming pull asks for). */
function parseRange(header: string, size: number): { start: number; end: number } | "invalid" {
  const m = /^bytes=(\d{1,16})-(\d{0,16})$/.exec(header.trim());
  if (!m?.[1]) return "invalid";
  const start = Number(m[1]);
  const end = m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
  if (start >= size || end < start) return "invalid";
  return { start, end };
}

/**
 * GET /v2/models/{sha256}/content: streams a hashed file of the local catalog to a peer (auth: a
 * staging grant for this model, or the worker token). A Range request gets 206 from its start.
 */
export async function serveModelContent(req: Request, res: Response, sha256: string, catalog: ModelCatalog, metrics: WorkerMetrics, log: Logger): Promise<void> {
  const model = catalog.list().find((m) => m.sha256 === sha256);
  if (model === undefined) throw new OrchError("MODEL_NOT_FOUND", `model ${sha256} is not on this node`);
  const size = (await stat(model.path)).size;
  const rangeHeader = req.get("range");
  const range = rangeHeader === undefined ? { start: 0, end: size - 1 } : parseRange(rangeHeader, size);
  if (range === "invalid") throw new OrchError("INVALID_PARAMS", `Range ${rangeHeader ?? ""} is not satisfiable for ${size} bytes (use bytes=<start>-)`);
  res.status(rangeHeader === undefined ? 200 : 206);
  res.setHeader("Content-Type", "application/octet-stream");
  res.setHeader("Accept-Ranges", "bytes");
  res.setHeader("Content-Length", String(range.end - range.start + 1));
  if (rangeHeader !== undefined) res.setHeader("Content-Range", `bytes ${range.start}-${range.end}/${size}`);
  if (size === 0) {
    res.end();
    return;
  }
  const stream = createReadStream(model.path, { start: range.start, end: range.end, highWaterMark: 1 << 20 });
  stream.on("data", (chunk) => metrics.modelBytesServed.inc(chunk.length));
  try {
    await pipeline(stream, res);
  } catch (error) {
    // The peer went away (cancel, crash): it resumes from what it has.
    log.info({ sha256, err: error }, "model content stream ended early");
  }
}
