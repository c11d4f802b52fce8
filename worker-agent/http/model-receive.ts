import { createWriteStream } from "node:fs";
import { stat, statfs, truncate, unlink } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import type { Request, Response } from "express";
import { OrchError } from "../../src-shared/errors/orch-error.js";
import { parseContentRange, type ModelReceiveResponse } from "../../src-shared/worker-api/model-transfer.js";
import { fileSha256 } from "../catalog/file-sha256.js";
import type { ModelCatalog } from "../catalog/model-catalog.js";
import type { Logger } from "../logging/logger.js";
import type { WorkerMetrics } from "../metrics/worker-metrics.js";
import { installWithoutClobber } from "../staging/install-file.js";
import { partPathOf } from "../staging/model-pulls.js";


async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/**
 * PUT /v2/models/{sha256}[?file_name=x.gguf]: the raw GGUF body is streamed to
 * `<models_dir>/.<sha256>.part`. A resumed upload sends `Content-Range: bytes <start>-<end>/<total>`
 * with start = bytes already received (a wrong start answers 409 with details.bytes_received).
 * When the part is complete it is hashed; a match is renamed atomically into place and the catalog
 * rescanned, a mismatch deletes the part (400). Refusals are thrown as OrchError; the server
 * layer renders them.
 */
export class ModelReceiver {
  constructor(
    private readonly catalog: ModelCatalog,
    private readonly metrics: WorkerMetrics,
    private readonly log: Logger,
    /** sha256 values whose `.part` is being written, shared with staging pulls. */
    private readonly active: Set<string> = new Set(),
  ) {}

  /** `sha256` and `fileName` (the query's) are already validated by the route's schemas. */
  async handle(req: Request, res: Response, sha256: string, fileName: string | undefined): Promise<void> {
    const fileNameRaw = fileName ?? `${sha256}.gguf`;
    const existing = this.catalog.list().find((m) => m.sha256 === sha256);
    if (existing !== undefined) {
      req.resume();
      return this.reply(res, { sha256, bytes_received: existing.size_bytes, complete: true, verified: true });
    }
    // Claimed before the first await, so an upload and a pull (or two uploads) never write one part at once.
    if (this.active.has(sha256)) throw new OrchError("CONFLICT", "an upload or pull of this model is already in progress");
    this.active.add(sha256);
    try {
      await this.receiveAndInstall(req, res, sha256, fileNameRaw);
    } finally {
      this.active.delete(sha256);
    }
  }

  private async receiveAndInstall(req: Request, res: Response, sha256: string, fileNameRaw: string): Promise<void> {
    const target = join(this.catalog.modelsDir, fileNameRaw);
    if ((await sizeOf(target)) > 0) throw new OrchError("CONFLICT", `${fileNameRaw} already exists with different content`);
    const part = partPathOf(this.catalog.modelsDir, sha256);
    const rangeHeader = req.get("content-range");
    const range = rangeHeader === undefined ? undefined : parseContentRange(rangeHeader);
    if (rangeHeader !== undefined && range === undefined) throw new OrchError("INVALID_PARAMS", "malformed Content-Range (bytes <start>-<end>/<total>)");
    const have = await sizeOf(part);
    const start = range?.start ?? 0;
    if (start !== 0 && start !== have) {
      throw new OrchError("CONFLICT", `upload must resume at byte ${have}`, { details: { bytes_received: have } });
    }
    const total = range?.total ?? (range === undefined ? Number(req.get("content-length") ?? NaN) : undefined);
    if (total !== undefined && Number.isFinite(total)) {
      const fs = await statfs(this.catalog.modelsDir);
      if (fs.bavail * fs.bsize < total - start) throw new OrchError("MODEL_TOO_LARGE", `not enough disk space for ${total} bytes in the models dir`);
    }

    if (start === 0 && have > 0) await truncate(part, 0);
    await this.receive(req, part, start, sha256);
    const received = await sizeOf(part);
    if (range !== undefined && received !== range.end + 1) {
      throw new OrchError("INVALID_PARAMS", `Content-Range ends at ${range.end} but ${received} bytes are stored`, { details: { bytes_received: received } });
    }
    const complete = range === undefined || range.total === undefined ? range === undefined : received === range.total;
    if (!complete) return this.reply(res, { sha256, bytes_received: received, complete: false, verified: false });
    const actual = await fileSha256(part);
    if (actual !== sha256) {
      await unlink(part).catch(() => undefined);
      this.metrics.modelsReceived.inc({ outcome: "mismatch" });
      throw new OrchError("INVALID_PARAMS", `sha256 mismatch: received ${actual}`);
    }
    // Never over a file that took the name meanwhile (install-file.ts).
    const installed = await installWithoutClobber(part, this.catalog.modelsDir, fileNameRaw, sha256);
    this.catalog.markComplete(installed);
    this.metrics.modelsReceived.inc({ outcome: "ok" });
    this.log.info({ sha256, file: fileNameRaw, size_bytes: received }, "model received");
    // A scan may be running already (and may have missed the file): wait for it, then scan again.
    await this.catalog.scan();
    await this.catalog.scan();
    return this.reply(res, { sha256, bytes_received: received, complete: true, verified: true });
  }

  /** Streams the body onto the part file; a client gone mid-body leaves the part for a resume. */
  private async receive(req: Request, part: string, start: number, sha256: string): Promise<void> {
    try {
      await pipeline(req, createWriteStream(part, { flags: start === 0 ? "w" : "a" }));
    } catch (error) {
      this.log.warn({ sha256, err: error }, "model upload interrupted");
      this.metrics.modelsReceived.inc({ outcome: "interrupted" });
      throw new OrchError("INTERNAL", "upload interrupted");
    }
  }

  private reply(res: Response, body: ModelReceiveResponse): void {
    res.status(200).json(body);
  }
}
