import { stat, truncate, unlink } from "node:fs/promises";
import { join } from "node:path";
import { OrchError } from "../../src-shared/errors/orch-error.js";
import type { ModelPullRequest, ModelPullStatus } from "../../src-shared/staging/model-pull.js";
import type { ModelCatalog } from "../catalog/model-catalog.js";
import type { Logger } from "../logging/logger.js";
import type { WorkerMetrics } from "../metrics/worker-metrics.js";
import { freeDiskBytes } from "./free-disk.js";
import { ModelPull, sizeOnDisk } from "./model-pull.js";

/** Where a model in transit lives: hidden from the catalog scan, shared with PUT /v2/models uploads. */
export function partPathOf(modelsDir: string, sha256: string): string {
  return join(modelsDir, `.${sha256}.part`);
}

/**
 * The pulls of this worker, one per model (one `.part` per sha256). The orchestrator starts,
 * polls and cancels them; after a restart it simply starts the job again and the pull resumes
 * from the bytes on disk.
 */
export class ModelPulls {
  private readonly pulls = new Map<string, ModelPull>();
  /** Pulls between their request and their start (disk checks): the model's part is theirs already. */
  private readonly starting = new Map<string, { jobId: string; status: Promise<ModelPullStatus> }>();

  constructor(
    private readonly catalog: ModelCatalog,
    /** sha256 values whose `.part` is being written (shared with the upload receiver). */
    private readonly busyParts: Set<string>,
    private readonly metrics: WorkerMetrics,
    private readonly log: Logger,
    /** A source that sends nothing for this long is given up on (the part stays for the next source). */
    private readonly stallTimeoutMs: number,
    /** Over TLS, https:// sources (the orchestrator, peer nodes) are trusted through this cluster CA only. */
    private readonly clusterCaPem?: string,
  ) {}

  async start(sha256: string, request: ModelPullRequest): Promise<ModelPullStatus> {
    const present = this.catalog.list().find((m) => m.sha256 === sha256);
    const current = this.pulls.get(sha256);
    if (present !== undefined) {
      // This job's own pull finished while the orchestrator could not see it: its numbers, not zeros.
      if (current?.request.job_id === request.job_id && current.status.phase === "completed") return current.status;
      return this.finished(request, present.size_bytes);
    }
    if (current?.running) {
      if (current.request.job_id === request.job_id) return current.status;
      throw new OrchError("CONFLICT", `job ${current.request.job_id} is pulling this model already`);
    }
    // Claimed before the first await: two starts at once (a retried call, two jobs) both passed the
    // checks above while the first was still reading the part's size, and both wrote the one part.
    const starting = this.starting.get(sha256);
    if (starting !== undefined) {
      if (starting.jobId === request.job_id) return starting.status;
      throw new OrchError("CONFLICT", `job ${starting.jobId} is pulling this model already`);
    }
    if (this.busyParts.has(sha256)) throw new OrchError("CONFLICT", "an upload of this model is in progress");
    this.busyParts.add(sha256);
    const status = this.begin(sha256, request);
    this.starting.set(sha256, { jobId: request.job_id, status });
    try {
      return await status;
    } catch (error) {
      this.busyParts.delete(sha256);
      throw error;
    } finally {
      this.starting.delete(sha256);
    }
  }

  /** Checks the disk and starts the pull from the part's bytes (the caller holds the part). */
  private async begin(sha256: string, request: ModelPullRequest): Promise<ModelPullStatus> {
    const part = partPathOf(this.catalog.modelsDir, sha256);
    let have = await sizeOnDisk(part);
    if (have > request.size_bytes) {
      await truncate(part, 0);
      have = 0;
    }
    const free = await freeDiskBytes(this.catalog.modelsDir);
    const needed = request.size_bytes - have;
    if (free < needed) {
      throw new OrchError("MODEL_TOO_LARGE", `not enough free disk in the models dir: ${needed} bytes needed, ${free} free; nothing was written`, { details: { needed_bytes: needed, free_bytes: free } });
    }
    const pull = new ModelPull(sha256, request, { part, dir: this.catalog.modelsDir, fileName: request.file_name }, have, {
      catalog: this.catalog,
      metrics: this.metrics,
      log: this.log,
      stallTimeoutMs: this.stallTimeoutMs,
      clusterCaPem: this.clusterCaPem,
    });
    this.pulls.set(sha256, pull);
    void pull.done.finally(() => {
      if (this.pulls.get(sha256) === pull) this.busyParts.delete(sha256);
    });
    this.log.info({ sha256, job_id: request.job_id, source: request.source.node_id, resume_from: have, size_bytes: request.size_bytes, limit: request.bandwidth_limit_bytes_per_s }, "model pull started");
    return pull.status;
  }

  status(sha256: string): ModelPullStatus {
    const pull = this.pulls.get(sha256);
    if (pull === undefined) throw new OrchError("JOB_NOT_FOUND", `no pull of ${sha256} since this agent started`);
    return pull.status;
  }

  /** Stops the pull (if any) and removes the partial file, whether or not a pull ran since start. */
  async cancel(sha256: string): Promise<void> {
    const pull = this.pulls.get(sha256);
    if (pull?.running) {
      pull.abort();
      await pull.done;
    }
    // An upload (PUT) owns the part: leave it alone.
    if (this.busyParts.has(sha256)) return;
    await unlink(partPathOf(this.catalog.modelsDir, sha256)).catch(() => undefined);
    if (pull !== undefined && pull.status.phase !== "completed") pull.status.bytes_on_disk = 0;
    this.log.info({ sha256 }, "model pull canceled; partial file removed");
  }

  /** A `.part` of this model is on disk, or a pull of it runs. */
  async hasPartial(sha256: string): Promise<boolean> {
    if (this.pulls.get(sha256)?.running === true) return true;
    return stat(partPathOf(this.catalog.modelsDir, sha256)).then(
      () => true,
      () => false,
    );
  }

  /** Aborts every pull, keeping the parts (shutdown: the next start resumes). */
  async stopAll(): Promise<void> {
    const running = [...this.pulls.values()].filter((p) => p.running);
    for (const pull of running) pull.abort();
    await Promise.all(running.map((p) => p.done));
  }

  private finished(request: ModelPullRequest, size: number): ModelPullStatus {
    return { job_id: request.job_id, phase: "completed", bytes_on_disk: size, bytes_transferred: 0, resumed_from: size, size_bytes: size, verify_ms: null, error: null };
  }
}
