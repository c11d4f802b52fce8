import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import type { Logger } from "pino";
import { OrchError } from "../../../src-shared/errors/orch-error.js";
import { CONTROL_PLANE_SOURCE, StagingJobStateSchema, type StageModelRequest, type StageModelResponse, type StagingJob, type StagingJobState } from "../../../src-shared/staging/staging-job.js";
import type { KnownModelStore } from "../db/known-model-store.js";
import type { StagingJobStore } from "../db/staging-job-store.js";
import type { OrchestratorMetrics } from "../metrics/orchestrator-metrics.js";
import type { NodeRegistry } from "../registry/node-registry.js";
import { StagingCallError } from "../workers/staging-client.js";
import type { WorkerClients } from "../workers/worker-clients.js";
import { applyStageThen, checkStageThen } from "./after-staging.js";
import { isTerminal, updateJob } from "./job-state.js";
import { DEFAULT_STAGING_TIMING, StagingRunner, type StagingRunnerDeps, type StagingTiming } from "./staging-runner.js";

export interface StagingServiceDeps {
  jobs: StagingJobStore;
  models: KnownModelStore;
  registry: NodeRegistry;
  workers: WorkerClients;
  workerToken(nodeId: string): string | undefined;
  /** The global cap in bytes per second (null: unlimited). */
  bandwidthLimit(): number | null;
  metrics: OrchestratorMetrics;
  logger: Logger;
  timing?: Partial<StagingTiming>;
  /** The orchestrator's own model store, a source for every node. */
  store?: { get(sha256: string): { file_name: string; size_bytes: number } | undefined; address(): string };
}

/**
 * Model staging: jobs that copy a model (by sha256) to target nodes from nodes holding a verified
 * copy, persisted in SQLite and resumed after a restart; cancel; removal of a model from a node.
 * Emits "job" on every change (the dashboard feed listens).
 */
export class StagingService extends EventEmitter<{ job: [StagingJob] }> {
  private readonly runners = new Map<string, StagingRunner>();
  private readonly runnerDeps: StagingRunnerDeps;

  constructor(private readonly deps: StagingServiceDeps) {
    super();
    const { registry, metrics } = deps;
    this.runnerDeps = {
      node: (id) => registry.get(id),
      nodes: () => registry.list(),
      client: (id) => deps.workers.stagingFor(id),
      workerToken: deps.workerToken,
      outgoing: new Map(),
      save: (job) => this.save(job),
      onBytes: (node, bytes) => metrics.stagingBytes.inc({ node_id: node }, bytes),
      onFailure: (reason) => metrics.stagingFailures.inc({ reason }),
      onVerified: (ms) => metrics.stagingVerifyDuration.observe(ms),
      timing: { ...DEFAULT_STAGING_TIMING, ...deps.timing },
      startedAtMs: Date.now(),
      logger: deps.logger.child({ component: "staging" }),
      ...(deps.store !== undefined ? { controlPlane: { holds: (sha: string) => deps.store?.get(sha) !== undefined, address: () => deps.store?.address() ?? "" } } : {}),
    };
    this.refreshGauge();
  }

  /** Resumes every unfinished job (after a restart the targets' part files hold the progress). */
  start(): void {
    for (const job of this.deps.jobs.unfinished()) {
      this.deps.logger.info({ job_id: job.job_id, state: job.state, target: job.target_node_id }, "resuming staging job");
      this.run(job);
    }
  }

  /** Stops driving jobs without changing them (they resume at the next start). */
  async close(): Promise<void> {
    await Promise.all([...this.runners.values()].map((r) => r.stop()));
    this.runners.clear();
  }

  stage(sha256: string, request: StageModelRequest): StageModelResponse {
    const nodes = this.deps.registry.list();
    const holders = nodes.filter((n) => n.models.some((m) => m.sha256 === sha256));
    const stored = this.deps.store?.get(sha256);
    const entry = holders.flatMap((n) => n.models).find((m) => m.sha256 === sha256) ?? stored;
    if (entry === undefined) throw new OrchError("MODEL_NOT_AVAILABLE", `no node reports a verified copy of ${sha256} and the orchestrator's store does not hold it; nothing to stage from`);
    if (stored === undefined && !holders.some((n) => n.status === "Online" && n.eligibility === "eligible")) throw new OrchError("MODEL_NOT_AVAILABLE", `the nodes holding ${sha256} (${holders.map((n) => n.node_id).join(", ")}) are offline or draining`);
    const targets = request.nodes === "all" ? nodes.filter((n) => n.status === "Online").map((n) => n.node_id) : [...new Set(request.nodes)];
    for (const id of targets) if (this.deps.registry.get(id) === undefined) throw new OrchError("NODE_NOT_FOUND", `unknown node ${id}`);
    if (request.sources !== undefined) this.checkSources(request.sources, holders, stored !== undefined, sha256);
    const { then } = request;
    // Checked before any job starts: a bad follow-up refuses the whole request.
    const thenNode = then !== undefined ? checkStageThen(then, targets, this.deps.registry) : null;
    const limits = [request.bandwidth_limit_bytes_per_s ?? null, this.deps.bandwidthLimit()].filter((l): l is number => l !== null);
    const response: StageModelResponse = { jobs: [], already_present: [] };
    for (const target of targets) {
      const follow = then !== undefined && target === thenNode ? then : undefined;
      if (holders.some((n) => n.node_id === target)) {
        response.already_present.push(target);
        if (follow !== undefined) applyStageThen(follow, { job_id: "none (already present)", sha256, file_name: entry.file_name, target_node_id: target }, this.deps.registry, this.deps.logger);
        continue;
      }
      const active = this.activeJob(sha256, target);
      if (active !== undefined) {
        // The running job takes the follow-up (persisted with it), so it happens once the copy is verified.
        const runner = this.runners.get(active.job_id);
        if (follow !== undefined) runner?.setThen(follow);
        response.jobs.push(runner?.current ?? active);
        continue;
      }
      const now = Date.now();
      const job: StagingJob = {
        job_id: `stg-${randomUUID()}`,
        sha256,
        file_name: entry.file_name,
        size_bytes: entry.size_bytes,
        target_node_id: target,
        source_node_id: null,
        state: "queued",
        bytes_done: 0,
        bytes_transferred: 0,
        attempts: 0,
        failed_sources: [],
        preferred_sources: request.sources ?? [],
        bandwidth_limit_bytes_per_s: limits.length === 0 ? null : Math.min(...limits),
        error: null,
        ...(follow !== undefined ? { then: follow } : {}),
        created_at_ms: now,
        updated_at_ms: now,
        finished_at_ms: null,
      };
      this.save(job);
      this.run(job);
      response.jobs.push(job);
    }
    return response;
  }

  get(jobId: string): StagingJob {
    const job = this.runners.get(jobId)?.current ?? this.deps.jobs.get(jobId);
    if (job === undefined) throw new OrchError("JOB_NOT_FOUND", `no staging job ${jobId}`);
    return job;
  }

  list(filter: { state?: StagingJobState; sha256?: string; limit?: number } = {}): StagingJob[] {
    return this.deps.jobs.list(filter);
  }

  /** The unfinished job copying this model to this node, if any. */
  activeJob(sha256: string, nodeId: string): StagingJob | undefined {
    return [...this.runners.values()].map((r) => r.current).find((j) => j.sha256 === sha256 && j.target_node_id === nodeId && !isTerminal(j.state));
  }

  /** Stops the job and removes its partial file from the target (when the target is reachable). */
  async cancel(jobId: string): Promise<StagingJob> {
    const runner = this.runners.get(jobId);
    await runner?.stop();
    this.runners.delete(jobId);
    const job = runner?.current ?? this.get(jobId);
    if (isTerminal(job.state)) throw new OrchError("CONFLICT", `staging job ${jobId} is already ${job.state}`);
    const canceled = updateJob(job, { state: "canceled" }, Date.now());
    this.save(canceled);
    const removed = await this.deps.workers
      .stagingFor(job.target_node_id)
      ?.cancelPull(job.sha256)
      .then(
        () => true,
        (error: unknown) => {
          this.deps.logger.warn({ job_id: jobId, err: error }, "could not remove the partial file on the target (unreachable); the catalog shows it as partial until the next stage resumes it or DELETE …/nodes/{id} removes it");
          return false;
        },
      );
    if (removed !== true || canceled.bytes_done === 0) return canceled;
    // The part is gone: the job's bytes on the target's disk say so (the catalog shows the node absent).
    const freed = { ...canceled, bytes_done: 0 };
    this.save(freed);
    return freed;
  }

  /** DELETE /v2/catalog/models/{id}/nodes/{node_id}: refused (409) while a pool on the node serves it. */
  /**
   * `sources` limits where the copies come from (in this order of preference): each must be a known node
   * (or the orchestrator's store, control-plane), and one of them must hold the model, or the request is
   * refused now instead of failing its jobs seconds later with "no node holds a verified copy".
   */
  private checkSources(sources: readonly string[], holders: readonly { node_id: string; status: string; eligibility: string }[], inStore: boolean, sha256: string): void {
    if (sources.length === 0) return;
    for (const id of sources) {
      if (id !== CONTROL_PLANE_SOURCE && this.deps.registry.get(id) === undefined) throw new OrchError("NODE_NOT_FOUND", `sources: unknown node ${id}`);
    }
    const usable = sources.filter((id) => (id === CONTROL_PLANE_SOURCE ? inStore : holders.some((h) => h.node_id === id && h.status === "Online" && h.eligibility === "eligible")));
    if (usable.length === 0) {
      const can = [...holders.filter((h) => h.status === "Online" && h.eligibility === "eligible").map((h) => h.node_id), ...(inStore ? [CONTROL_PLANE_SOURCE] : [])];
      throw new OrchError("MODEL_NOT_AVAILABLE", `sources: none of ${sources.join(", ")} holds a verified copy of ${sha256} and can serve it now${can.length > 0 ? `; these can: ${can.join(", ")}` : ""}`);
    }
  }

  async removeFromNode(sha256: string, nodeId: string): Promise<void> {
    const node = this.deps.registry.get(nodeId);
    if (node === undefined) throw new OrchError("NODE_NOT_FOUND", `unknown node ${nodeId}`);
    if (node.status !== "Online") throw new OrchError("NODE_UNAVAILABLE", `node ${nodeId} is ${node.status}; it must be online to delete files`);
    const busy = node.pools.find((p) => p.model?.sha256 === sha256 && p.slots_free < p.slots_total);
    // Busy passes: retriable (a pool defined to the model is the worker's own, lasting 409).
    if (busy !== undefined) throw new OrchError("CONFLICT", `pool ${busy.pool_id} is serving this model on ${nodeId}; retry when it is idle`, { pool_id: busy.pool_id, retriable: true });
    const active = this.activeJob(sha256, nodeId);
    if (active !== undefined) await this.cancel(active.job_id);
    try {
      await this.deps.workers.stagingFor(nodeId)?.deleteModel(sha256);
    } catch (error) {
      if (!(error instanceof StagingCallError)) throw error;
      if (error.status === 404 && active !== undefined) return;
      // The node has neither file nor part: a record that still counts partial bytes there was stale.
      if (error.status === 404 && this.forgetPartial(sha256, nodeId)) return;
      if (error.status === 404) throw new OrchError("MODEL_NOT_FOUND", `node ${nodeId} does not hold ${sha256}`);
      if (error.status === 409) {
        const envelope = error.envelope;
        throw new OrchError("CONFLICT", envelope?.message ?? error.message, { retriable: envelope?.retriable ?? false, ...(envelope?.pool_id !== undefined ? { pool_id: envelope.pool_id } : {}), ...(envelope?.details !== undefined ? { details: envelope.details } : {}) });
      }
      throw new OrchError("NODE_UNAVAILABLE", error.message);
    }
    this.deps.models.markAbsent(sha256, nodeId, Date.now());
    this.forgetPartial(sha256, nodeId);
  }

  /**
   * The node's partial file is gone (the worker removed it with the model): the newest job's
   * `bytes_done` says so, so the catalog shows the node absent, not `partial`. A terminal job's
   * state is unchanged; only its count of bytes on the target's disk.
   */
  private forgetPartial(sha256: string, nodeId: string): boolean {
    const newest = this.deps.jobs.list({ sha256, limit: 1000 }).find((j) => j.target_node_id === nodeId);
    if (newest === undefined || !isTerminal(newest.state) || newest.state === "completed" || newest.bytes_done === 0) return false;
    this.save({ ...newest, bytes_done: 0, updated_at_ms: Date.now() });
    return true;
  }

  private run(job: StagingJob): void {
    const runner = new StagingRunner(job, this.runnerDeps);
    this.runners.set(job.job_id, runner);
    void runner.done.then(() => {
      const done = runner.current;
      if (done.state === "completed" && done.then !== undefined) applyStageThen(done.then, done, this.deps.registry, this.deps.logger);
      if (this.runners.get(job.job_id) === runner && isTerminal(done.state)) this.runners.delete(job.job_id);
    });
  }

  private save(job: StagingJob): void {
    this.deps.jobs.save(job);
    this.refreshGauge();
    this.emit("job", job);
  }

  private refreshGauge(): void {
    const counts = this.deps.jobs.countByState();
    for (const state of StagingJobStateSchema.options) {
      this.deps.metrics.stagingJobs.set({ state }, counts.get(state) ?? 0);
    }
  }
}
