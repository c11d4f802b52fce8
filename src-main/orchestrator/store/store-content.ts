import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import type { Request, Response } from "express";
import { OrchError } from "../../../src-shared/errors/orch-error.js";
import type { ModelStore } from "./model-store.js";

/** `bytes=<start>-[<end>]`, one range: all a resuming pull asks for. */
function rangeOf(header: string, size: number): { start: number; end: number } | null {
  const m = /^bytes=(\d{1,16})-(\d{0,16})$/.exec(header.trim());
  if (!m?.[1]) return null;
  const start = Number(m[1]);
  const end = m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
  return start < size && end >= start ? { start, end } : null;
}

/**
 * GET /v2/models/{sha256}/content on the orchestrator: the source side of the workers' staging
 * protocol for models in its own store. Targets present a grant (http/store-grant-auth.ts), never
 * the orchestrator's token.
 */
export async function serveStoreContent(req: Request, res: Response, sha256: string, store: ModelStore): Promise<void> {
  if (store.get(sha256) === undefined) throw new OrchError("MODEL_NOT_FOUND", `the orchestrator's store does not hold ${sha256}`);
  const path = store.pathOf(sha256);
  const size = (await stat(path)).size;
  const header = req.get("range");
  const range = header === undefined ? { start: 0, end: size - 1 } : rangeOf(header, size);
  if (range === null) throw new OrchError("INVALID_PARAMS", `Range ${header ?? ""} is not satisfiable for ${size} bytes`);
  res.status(header === undefined ? 200 : 206);
  res.setHeader("Content-Type", "application/octet-stream");
  res.setHeader("Accept-Ranges", "bytes");
  res.setHeader("Content-Length", String(range.end - range.start + 1));
  if (header !== undefined) res.setHeader("Content-Range", `bytes ${range.start}-${range.end}/${size}`);
  await pipeline(createReadStream(path, { start: range.start, end: range.end, highWaterMark: 1 << 20 }), res).catch(() => undefined);
}
