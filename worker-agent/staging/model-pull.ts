import type { FetchLike } from "../../src-node/tls/cluster-fetch.js";
import { open, rename, stat, unlink, type FileHandle } from "node:fs/promises";
import { OrchError } from "../../src-shared/errors/orch-error.js";
import type { ModelPullRequest, ModelPullStatus } from "../../src-shared/staging/model-pull.js";
import type { StagingFailureReason } from "../../src-shared/staging/staging-job.js";
import { fileSha256 } from "../catalog/file-sha256.js";
import type { ModelCatalog } from "../catalog/model-catalog.js";
import type { Logger } from "../logging/logger.js";
import type { WorkerMetrics } from "../metrics/worker-metrics.js";
import { BandwidthThrottle } from "./bandwidth-throttle.js";

class PullFailure extends Error {
  constructor(
    readonly reason: StagingFailureReason,
    message: string,
  ) {
    super(message);
  }
}

const MIB = 1 << 20;

/** Bytes per range request: a quarter second at the cap (1–16 MiB), 16 MiB uncapped. */
export function segmentBytes(bytesPerSecond: number | null): number {
  if (bytesPerSecond === null) return 16 * MIB;
  return Math.min(16 * MIB, Math.max(MIB, Math.round(bytesPerSecond / 4)));
}

export async function sizeOnDisk(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

export interface PullPaths {
  part: string;
  target: string;
}

/**
 * One pull of a model from a peer: range requests from the `.part`'s size onward, paced by the
 * bandwidth cap, then the whole part is hashed and renamed into place only when the digest matches.
 * A broken transfer keeps the part (the next pull resumes from it); a digest mismatch deletes it.
 */
export class ModelPull {
  readonly status: ModelPullStatus;
  readonly done: Promise<void>;
  private readonly controller = new AbortController();

  constructor(
    readonly sha256: string,
    readonly request: ModelPullRequest,
    private readonly paths: PullPaths,
    resumeFrom: number,
    private readonly deps: { catalog: ModelCatalog; metrics: WorkerMetrics; log: Logger; fetch?: FetchLike },
  ) {
    this.status = {
      job_id: request.job_id,
      phase: "transferring",
      bytes_on_disk: resumeFrom,
      bytes_transferred: 0,
      resumed_from: resumeFrom,
      size_bytes: request.size_bytes,
      verify_ms: null,
      error: null,
    };
    this.done = this.run().catch((error: unknown) => this.settle(error));
  }

  get running(): boolean {
    return this.status.phase === "transferring" || this.status.phase === "verifying";
  }

  /** Stops the transfer; the caller removes the part once `done` resolves. */
  abort(): void {
    this.controller.abort(new OrchError("CANCELED", "pull canceled"));
  }

  private async run(): Promise<void> {
    const { request, paths } = this;
    // The whole file arrived before (a restart during verification): only the check is left.
    if (this.status.bytes_on_disk < request.size_bytes) {
      const file = await open(paths.part, this.status.bytes_on_disk === 0 ? "w" : "a");
      const throttle = new BandwidthThrottle(request.bandwidth_limit_bytes_per_s);
      try {
        while (this.status.bytes_on_disk < request.size_bytes) await this.fetchSegment(file, throttle);
      } finally {
        await file.close();
      }
    }
    await this.verifyAndInstall();
  }

  /**
   * One `Range` request of at most segmentBytes(): bounded requests bound what sits in socket
   * buffers when the target dies, so a resume re-sends little.
   */
  private async fetchSegment(file: FileHandle, throttle: BandwidthThrottle): Promise<void> {
    const { request, sha256 } = this;
    const { signal } = this.controller;
    const start = this.status.bytes_on_disk;
    const end = Math.min(request.size_bytes, start + segmentBytes(request.bandwidth_limit_bytes_per_s)) - 1;
    let res: Response;
    try {
      res = await (this.deps.fetch ?? globalThis.fetch)(`${request.source.url}/v2/models/${sha256}/content`, { headers: { authorization: `Bearer ${request.source.grant}`, range: `bytes=${start}-${end}` }, signal });
    } catch (error) {
      if (signal.aborted) throw error;
      throw new PullFailure("source_error", `cannot reach source ${request.source.node_id}: ${errorText(error)}`);
    }
    if (res.status !== 206 || res.body === null) {
      const text = await res.text().catch(() => "");
      throw new PullFailure("source_error", `source ${request.source.node_id} answered ${res.status} to a range request: ${text.slice(0, 300)}`);
    }
    try {
      for await (const chunk of res.body) {
        await file.write(chunk);
        this.status.bytes_on_disk += chunk.length;
        this.status.bytes_transferred += chunk.length;
        this.deps.metrics.modelBytesReceived.inc(chunk.length);
        if (this.status.bytes_on_disk > end + 1) throw new PullFailure("source_error", `source sent more than the ${end - start + 1} bytes asked for`);
        await throttle.consumed(chunk.length, signal);
      }
    } catch (error) {
      if (signal.aborted || error instanceof PullFailure) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOSPC" || code === "EDQUOT") throw new PullFailure("insufficient_disk", `disk full after ${this.status.bytes_on_disk} bytes`);
      throw new PullFailure("source_error", `transfer from ${request.source.node_id} broke: ${errorText(error)}`);
    }
    if (this.status.bytes_on_disk !== end + 1) throw new PullFailure("source_error", `source ${request.source.node_id} ended the range at byte ${this.status.bytes_on_disk}, not ${end + 1}`);
  }

  private async verifyAndInstall(): Promise<void> {
    const { paths, sha256 } = this;
    this.status.phase = "verifying";
    const started = performance.now();
    const actual = await fileSha256(paths.part);
    this.status.verify_ms = Math.round(performance.now() - started);
    if (actual !== sha256) {
      await unlink(paths.part).catch(() => undefined);
      this.status.bytes_on_disk = 0;
      this.deps.metrics.modelsReceived.inc({ outcome: "mismatch" });
      throw new PullFailure("digest_mismatch", `received file hashes to ${actual}, not ${sha256} (from ${this.request.source.node_id}); partial file deleted`);
    }
    this.deps.catalog.markComplete(paths.target);
    await rename(paths.part, paths.target);
    this.deps.metrics.modelsReceived.inc({ outcome: "ok" });
    // A scan may be running already (and may have missed the file): wait for it, then scan again.
    await this.deps.catalog.scan();
    await this.deps.catalog.scan();
    this.status.phase = "completed";
    this.deps.log.info({ sha256, file: this.request.file_name, from: this.request.source.node_id, bytes: this.status.bytes_transferred, resumed_from: this.status.resumed_from, verify_ms: this.status.verify_ms }, "model pulled and verified");
  }

  private settle(error: unknown): void {
    if (this.controller.signal.aborted) {
      this.status.phase = "canceled";
      return;
    }
    const failure = error instanceof PullFailure ? error : new PullFailure("target_error", errorText(error));
    this.status.phase = "failed";
    this.status.error = { reason: failure.reason, message: failure.message };
    this.deps.log.warn({ sha256: this.sha256, reason: failure.reason, err: failure.message, bytes_on_disk: this.status.bytes_on_disk }, "model pull failed");
  }
}

function errorText(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
  }
  return String(error);
}
