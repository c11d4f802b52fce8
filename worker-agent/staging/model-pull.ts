import { createHash, type Hash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { stat, unlink } from "node:fs/promises";
import type { Agent } from "node:http";
import { basename } from "node:path";
import { pipeline } from "node:stream/promises";
import { OrchError } from "../../src-shared/errors/orch-error.js";
import type { ModelPullRequest, ModelPullStatus } from "../../src-shared/staging/model-pull.js";
import type { StagingFailureReason } from "../../src-shared/staging/staging-job.js";
import type { ModelCatalog } from "../catalog/model-catalog.js";
import type { Logger } from "../logging/logger.js";
import type { WorkerMetrics } from "../metrics/worker-metrics.js";
import { BandwidthThrottle } from "./bandwidth-throttle.js";
import { HashingTap, TooManyBytesError } from "./hashing-tap.js";
import { installWithoutClobber } from "./install-file.js";
import { bodyText, keepAliveAgent, rangeGet } from "./range-get.js";

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

/**
 * Buffer size of a pull's response and tap streams. Uncapped, 1 MiB (Node's 16 KiB default pauses and
 * resumes the socket for every chunk: measured ~20 % more CPU per MB); capped, 256 KiB, because
 * every buffered byte is lost when the target is killed, and a capped pull has little speed to gain.
 */
export function bufferBytes(bytesPerSecond: number | null): number {
  return bytesPerSecond === null ? MIB : 256 * 1024;
}

/**
 * How long a range request may see no traffic before its source counts as stalled: the configured
 * stall timeout, plus the time a capped pull may itself hold reads back (two buffers at the cap), so
 * a very low cap is never mistaken for a silent source.
 */
export function stallTimeoutMs(configuredMs: number, bytesPerSecond: number | null): number {
  const heldBack = bytesPerSecond === null ? 0 : Math.ceil(((2 * bufferBytes(bytesPerSecond)) / bytesPerSecond) * 1000);
  return Math.min(2 ** 31 - 1, configuredMs + heldBack);
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
  /** The models dir and the file name asked for; the name is settled at install (install-file.ts). */
  dir: string;
  fileName: string;
}

/**
 * One pull of a model from a peer: a range request from the `.part`'s size onward, paced by the
 * bandwidth cap and hashed on the way, renamed into place only when the digest matches. A broken
 * transfer keeps the part (the next pull resumes from it); a digest mismatch or a full disk deletes it.
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
    private readonly deps: { catalog: ModelCatalog; metrics: WorkerMetrics; log: Logger; stallTimeoutMs: number; clusterCaPem?: string | undefined },
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
    const { paths } = this;
    // The digest is computed on the way to disk; a resumed pull first feeds it the bytes it kept.
    const hash = createHash("sha256");
    const startedPrefix = performance.now();
    if (this.status.bytes_on_disk > 0) {
      for await (const chunk of createReadStream(paths.part, { end: this.status.bytes_on_disk - 1, highWaterMark: 4 << 20, signal: this.controller.signal })) hash.update(chunk as Buffer);
    }
    const prefixMs = performance.now() - startedPrefix;
    if (this.status.bytes_on_disk < this.request.size_bytes) await this.transfer(hash);
    await this.verifyAndInstall(hash, prefixMs);
  }

  /**
   * Bounded `Range` requests on one kept-alive connection, read one after the other as one stream
   * and piped through the hashing tap (sha256, count, cap) into the part file: one pipeline for the
   * whole transfer, chunks passed on without a copy. Bounded requests bound what sits in socket and
   * proxy buffers when the target dies, so a resume re-sends little. A broken transfer keeps what
   * reached the part (the next pull resumes from it).
   */
  private async transfer(hash: Hash): Promise<void> {
    const { request, paths } = this;
    const { signal } = this.controller;
    const start = this.status.bytes_on_disk;
    const agent = keepAliveAgent(new URL(request.source.url), this.deps.clusterCaPem);
    const tap = new HashingTap(hash, request.size_bytes - start, new BandwidthThrottle(request.bandwidth_limit_bytes_per_s), signal, (n) => {
      this.status.bytes_on_disk += n;
      this.status.bytes_transferred += n;
      this.deps.metrics.modelBytesReceived.inc(n);
    }, bufferBytes(request.bandwidth_limit_bytes_per_s));
    const file = createWriteStream(paths.part, { flags: start === 0 ? "w" : "a", highWaterMark: 4 << 20 });
    try {
      await pipeline(this.segments(start, agent), tap, file, { signal });
    } catch (error) {
      // What the tap counted may not all have reached the file.
      this.status.bytes_on_disk = await sizeOnDisk(paths.part);
      if (signal.aborted || error instanceof PullFailure) throw error;
      if (error instanceof TooManyBytesError) throw new PullFailure("source_error", `source ${request.source.node_id}: ${error.message}`);
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOSPC" || code === "EDQUOT") {
        // The part is what filled the disk: kept for a resume it left the node's disk full (nothing else
        // there could write), and no API removes a failed pull's part. A resume could not fit anyway.
        const kept = this.status.bytes_on_disk;
        await unlink(paths.part).catch(() => undefined);
        this.status.bytes_on_disk = 0;
        throw new PullFailure("insufficient_disk", `disk full after ${kept} bytes; the partial file was removed to free the disk`);
      }
      throw new PullFailure("source_error", `transfer from ${request.source.node_id} broke: ${errorText(error)}`);
    } finally {
      agent.destroy();
    }
    if (this.status.bytes_on_disk !== request.size_bytes) throw new PullFailure("source_error", `source ${request.source.node_id} ended at byte ${this.status.bytes_on_disk}, not ${request.size_bytes}`);
  }

  /** The bytes from `from` to the end of the file, one range response after the other. */
  private async *segments(from: number, agent: Agent): AsyncGenerator<Buffer> {
    const { request, sha256 } = this;
    const { signal } = this.controller;
    const url = new URL(`/v2/models/${sha256}/content`, request.source.url);
    for (let start = from; start < request.size_bytes; ) {
      const end = Math.min(request.size_bytes, start + segmentBytes(request.bandwidth_limit_bytes_per_s)) - 1;
      let res;
      try {
        res = await rangeGet(url, { authorization: `Bearer ${request.source.grant}`, range: `bytes=${start}-${end}` }, agent, signal, bufferBytes(request.bandwidth_limit_bytes_per_s), stallTimeoutMs(this.deps.stallTimeoutMs, request.bandwidth_limit_bytes_per_s));
      } catch (error) {
        if (signal.aborted) throw error;
        throw new PullFailure("source_error", `cannot reach source ${request.source.node_id}: ${errorText(error)}`);
      }
      if (res.statusCode !== 206) {
        const text = await bodyText(res).catch(() => "");
        throw new PullFailure("source_error", `source ${request.source.node_id} answered ${res.statusCode ?? 0} to a range request: ${text}`);
      }
      let got = 0;
      for await (const chunk of res) {
        got += (chunk as Buffer).length;
        if (got > end - start + 1) throw new PullFailure("source_error", `source ${request.source.node_id} sent more than the ${end - start + 1} bytes asked for`);
        yield chunk as Buffer;
      }
      if (got !== end - start + 1) throw new PullFailure("source_error", `source ${request.source.node_id} ended the range at byte ${start + got}, not ${end + 1}`);
      start = end + 1;
    }
  }

  private async verifyAndInstall(hash: Hash, prefixMs: number): Promise<void> {
    const { paths, sha256 } = this;
    this.status.phase = "verifying";
    const started = performance.now();
    const actual = hash.digest("hex");
    this.status.verify_ms = Math.round(prefixMs + performance.now() - started);
    if (actual !== sha256) {
      await unlink(paths.part).catch(() => undefined);
      this.status.bytes_on_disk = 0;
      this.deps.metrics.modelsReceived.inc({ outcome: "mismatch" });
      throw new PullFailure("digest_mismatch", `received file hashes to ${actual}, not ${sha256} (from ${this.request.source.node_id}); partial file deleted`);
    }
    const installed = await installWithoutClobber(paths.part, paths.dir, paths.fileName, sha256);
    // Complete and hashed already: the catalog takes the digest instead of reading the file again.
    await this.deps.catalog.adoptVerified(installed, sha256);
    this.deps.metrics.modelsReceived.inc({ outcome: "ok" });
    // A scan may be running already (and may have missed the file): wait for it, then scan again.
    await this.deps.catalog.scan();
    await this.deps.catalog.scan();
    this.status.phase = "completed";
    this.deps.log.info({ sha256, file: basename(installed), from: this.request.source.node_id, bytes: this.status.bytes_transferred, resumed_from: this.status.resumed_from, verify_ms: this.status.verify_ms }, "model pulled and verified");
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
