import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import type { ModelPullStatus } from "../../../src-shared/staging/model-pull.js";
import { CONTROL_PLANE_SOURCE, type StageThen, type StagingFailureReason, type StagingJob } from "../../../src-shared/staging/staging-job.js";
import type { NodeRecord } from "../registry/node-record.js";
import { StagingCallError, type StagingClient } from "../workers/staging-client.js";
import { grantTtlFor, signStagingGrant } from "./grant-signer.js";
import { isTerminal, updateJob } from "./job-state.js";
import { storeFileName } from "../store/model-import.js";
import { chooseSource } from "./source-choice.js";

export interface StagingTiming {
  /** How often the target's pull is polled. */
  pollMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Failed attempts (source errors, digest mismatches, no source) before the job fails. */
  maxAttempts: number;
  /** How long a job waits for its target to come (back) online before it fails. */
  targetWaitMs: number;
  /**
   * After the orchestrator starts, nodes come back one by one (each at its next heartbeat, which a large
   * cluster stretches): for this long a job whose holders have not registered again waits for them
   * instead of counting "no source" attempts, which used to fail resumed jobs within 4 s.
   */
  restartGraceMs: number;
}

export const DEFAULT_STAGING_TIMING: StagingTiming = { pollMs: 250, backoffBaseMs: 250, backoffMaxMs: 5000, maxAttempts: 5, targetWaitMs: 10 * 60_000, restartGraceMs: 60_000 };

export interface StagingRunnerDeps {
  node(nodeId: string): NodeRecord | undefined;
  nodes(): readonly NodeRecord[];
  client(nodeId: string): StagingClient | undefined;
  /** The token of a source worker: grants are signed with a key derived from it. */
  workerToken(nodeId: string): string | undefined;
  /** Transfers each node is serving now (spreads sources). */
  outgoing: Map<string, number>;
  /** Persists and publishes the job. */
  save(job: StagingJob): void;
  onBytes(targetNodeId: string, bytes: number): void;
  onFailure(reason: StagingFailureReason): void;
  onVerified(verifyMs: number): void;
  timing: StagingTiming;
  /** When this orchestrator started (the restart grace counts from it). */
  startedAtMs: number;
  logger: Logger;
  /** The orchestrator's own store as a source (CONTROL_PLANE_SOURCE), when it has one. */
  controlPlane?: { holds(sha256: string): boolean; address(): string };
}

type TransferOutcome = { kind: "done" } | { kind: "target_gone" } | { kind: "failed"; reason: StagingFailureReason; message: string };

const SOURCE_FAULTS: readonly StagingFailureReason[] = ["source_error", "digest_mismatch"];

const holds = (node: NodeRecord, sha256: string): boolean => node.models.some((m) => m.sha256 === sha256);

/**
 * Drives one staging job to a terminal state: picks a source, issues a grant, tells the target to
 * pull, polls its progress, and on failure backs off and tries another source. A target that goes
 * away (restart) is waited for and told again: its pull resumes from the bytes on disk.
 */
export class StagingRunner {
  readonly done: Promise<void>;
  private readonly controller = new AbortController();
  private failures = 0;
  private waitingSince: number | null = null;
  /** The target's pull whose bytes were counted last (its resume point) and how many: a re-joined pull counts on from there. */
  private countedPull: { resumedFrom: number; counted: number } | null = null;

  constructor(
    private job: StagingJob,
    private readonly deps: StagingRunnerDeps,
  ) {
    this.done = this.loop().catch((error: unknown) => {
      if (this.controller.signal.aborted) return;
      deps.logger.error({ job_id: job.job_id, err: error }, "staging job crashed");
      this.fail("target_error", error instanceof Error ? error.message : String(error));
    });
  }

  get current(): StagingJob {
    return this.job;
  }

  /** A later stage request's follow-up joins this job (persisted; ignored once the job has ended). */
  setThen(then: StageThen): void {
    this.update({ then });
  }

  /** Stops driving the job (cancel, shutdown); the job's state is the caller's to set. */
  stop(): Promise<void> {
    this.controller.abort();
    return this.done;
  }

  private get signal(): AbortSignal {
    return this.controller.signal;
  }

  private update(patch: Parameters<typeof updateJob>[1]): void {
    if (this.signal.aborted || isTerminal(this.job.state)) return;
    this.job = updateJob(this.job, patch, Date.now());
    this.deps.save(this.job);
  }

  private async loop(): Promise<void> {
    // After an orchestrator restart, a job that was moving resumes with the same source.
    let resumeFrom = this.job.state === "transferring" || this.job.state === "verifying" || this.job.error?.reason === "target_unavailable" ? this.job.source_node_id : null;
    while (!isTerminal(this.job.state) && !this.signal.aborted) {
      const target = this.deps.node(this.job.target_node_id);
      if (target === undefined) return this.fail("target_unavailable", `node ${this.job.target_node_id} is not known`);
      if (holds(target, this.job.sha256)) {
        await this.countLastBytes();
        return this.update({ state: "completed", bytes_done: this.job.size_bytes, error: null });
      }
      if (target.status !== "Online") {
        await this.waitForTarget();
        continue;
      }
      this.waitingSince = null;
      const resuming = resumeFrom !== null && this.eligible(resumeFrom);
      const sourceId = resuming ? resumeFrom : this.pickSource();
      resumeFrom = null;
      if (sourceId === null) {
        const returning = this.holdersNotBackYet();
        if (returning.length > 0) await this.waitForHolders(returning);
        else await this.attemptFailed("no_source", "no Online, undrained node holds a verified copy", null);
        continue;
      }
      const outcome = await this.transfer(sourceId, resuming);
      if (outcome.kind === "target_gone") resumeFrom = sourceId;
      else if (outcome.kind === "failed") await this.attemptFailed(outcome.reason, outcome.message, sourceId);
    }
  }

  private eligible(nodeId: string): boolean {
    if (nodeId === CONTROL_PLANE_SOURCE) return this.deps.controlPlane?.holds(this.job.sha256) ?? false;
    const node = this.deps.node(nodeId);
    return node !== undefined && node.status === "Online" && node.eligibility === "eligible" && holds(node, this.job.sha256) && this.deps.workerToken(nodeId) !== undefined;
  }

  private pickSource(): string | null {
    // The control plane serves no tasks: an idle holder, so it is chosen unless it is busy with other transfers.
    const store = this.deps.controlPlane?.holds(this.job.sha256) ? [{ node_id: CONTROL_PLANE_SOURCE, online: true, drained: false, holds: true, busy_slots: 0, outgoing: this.deps.outgoing.get(CONTROL_PLANE_SOURCE) ?? 0 }] : [];
    return chooseSource({
      candidates: [...store, ...this.deps.nodes().map((n) => ({
        node_id: n.node_id,
        // Its credential is unknown until it registers again after a restart: it could not verify a grant.
        online: n.status === "Online" && this.deps.workerToken(n.node_id) !== undefined,
        drained: n.eligibility === "ineligible",
        holds: holds(n, this.job.sha256),
        busy_slots: n.pools.reduce((sum, p) => sum + Math.max(0, p.slots_total - p.slots_free), 0),
        outgoing: this.deps.outgoing.get(n.node_id) ?? 0,
      }))],
      target_node_id: this.job.target_node_id,
      preferred: this.job.preferred_sources,
      failed: this.job.failed_sources,
    });
  }

  private async waitForTarget(): Promise<void> {
    const now = Date.now();
    this.waitingSince ??= now;
    if (now - this.waitingSince > this.deps.timing.targetWaitMs) return this.fail("target_unavailable", `node ${this.job.target_node_id} stayed unavailable for ${this.deps.timing.targetWaitMs} ms`);
    if (this.job.state !== "retrying" || this.job.error?.reason !== "target_unavailable") {
      this.update({ state: "retrying", error: { reason: "target_unavailable", message: `waiting for node ${this.job.target_node_id} to come online` } });
    }
    await sleep(this.deps.timing.pollMs, undefined, { signal: this.signal });
  }

  /**
   * The target reports the copy: the pull this job followed finished while the target was out of reach.
   * Counts the bytes it moved since the last poll (best effort: one status call).
   */
  private async countLastBytes(): Promise<void> {
    const last = this.countedPull;
    const client = this.deps.client(this.job.target_node_id);
    if (last === null || client === undefined) return;
    const status = await client.pullStatus(this.job.sha256, this.signal).catch(() => null);
    if (status === null || status.job_id !== this.job.job_id || status.resumed_from !== last.resumedFrom) return;
    const delta = status.bytes_transferred - last.counted;
    if (delta <= 0) return;
    this.deps.onBytes(this.job.target_node_id, delta);
    this.countedPull = { resumedFrom: last.resumedFrom, counted: status.bytes_transferred };
    this.update({ bytes_transferred: this.job.bytes_transferred + delta });
  }

  /** Undrained holders that have not registered since this orchestrator started (within the restart grace). */
  private holdersNotBackYet(): string[] {
    if (Date.now() - this.deps.startedAtMs >= this.deps.timing.restartGraceMs) return [];
    return this.deps
      .nodes()
      // Registered before this run and not since: it is expected back (a node that died during this run is not).
      .filter((n) => n.node_id !== this.job.target_node_id && n.eligibility === "eligible" && holds(n, this.job.sha256) && n.registered_at_ms < this.deps.startedAtMs)
      .map((n) => n.node_id);
  }

  private async waitForHolders(nodeIds: string[]): Promise<void> {
    const message = `waiting for ${nodeIds.join(", ")} (holding the model) to register again after the orchestrator restart`;
    if (this.job.state !== "retrying" || this.job.error?.message !== message) this.update({ state: "retrying", error: { reason: "no_source", message } });
    await sleep(this.deps.timing.pollMs, undefined, { signal: this.signal });
  }

  private async transfer(sourceId: string, resuming: boolean): Promise<TransferOutcome> {
    const address = sourceId === CONTROL_PLANE_SOURCE ? this.deps.controlPlane?.address() : this.deps.node(sourceId)?.address;
    const client = this.deps.client(this.job.target_node_id);
    if (address === undefined || client === undefined) return { kind: "target_gone" };
    const { job } = this;
    // A source whose token is unknown (registered with a worker key, not again since a restart) cannot verify a grant.
    const sourceToken = this.deps.workerToken(sourceId);
    if (sourceToken === undefined) return { kind: "failed", reason: "source_error", message: `node ${sourceId} has not registered since the orchestrator started; its credential is unknown` };
    const grant = signStagingGrant(sourceToken, { sha256: job.sha256, source_node_id: sourceId, target_node_id: job.target_node_id, job_id: job.job_id }, Date.now(), grantTtlFor(job.size_bytes, job.bandwidth_limit_bytes_per_s));
    this.deps.outgoing.set(sourceId, (this.deps.outgoing.get(sourceId) ?? 0) + 1);
    try {
      let status: ModelPullStatus;
      try {
        // The holder's file name may be anything its folder allows ("My Model (1).gguf"); targets take plain names only.
        status = await client.startPull(job.sha256, { job_id: job.job_id, file_name: storeFileName(job.file_name), size_bytes: job.size_bytes, source: { node_id: sourceId, url: address, grant }, bandwidth_limit_bytes_per_s: job.bandwidth_limit_bytes_per_s }, this.signal);
      } catch (error) {
        return this.refused(error);
      }
      this.update({ state: this.job.state === "verifying" ? "verifying" : "transferring", source_node_id: sourceId, error: null, attempts: resuming ? Math.max(1, job.attempts) : job.attempts + 1 });
      return await this.follow(client, status);
    } finally {
      this.deps.outgoing.set(sourceId, (this.deps.outgoing.get(sourceId) ?? 1) - 1);
    }
  }

  /** Polls the target's pull until it ends; bytes are counted from the deltas the target reports. */
  private async follow(client: StagingClient, first: ModelPullStatus): Promise<TransferOutcome> {
    let status = first;
    // The same pull joined again (the target was unreachable for a while, still pulling): the bytes it
    // moved meanwhile are counted too; they were lost from bytes_transferred before. A new pull starts at 0.
    const same = this.countedPull !== null && first.job_id === this.job.job_id && first.resumed_from === this.countedPull.resumedFrom;
    // This job's own pull met with nothing counted in this process: after an orchestrator restart the
    // runner is new and the target kept pulling meanwhile. Of that pull, the job row has counted what it
    // had written by the last update (bytes_done past the pull's start, never more than the row's total);
    // the rest moved while nobody watched. A pull the target began after the restart (from its part) has
    // counted nothing, and the part it began from past the row's bytes_done was this job's pull's too,
    // moved after its last poll (counted now as a negative start). Before, the count started from the
    // target's figure at that moment: a whole copy showed up to ~10 % less.
    const ownAfterRestart = this.countedPull === null && first.job_id === this.job.job_id;
    const unseenPart = this.job.bytes_done > 0 ? Math.max(0, first.resumed_from - this.job.bytes_done) : 0;
    const countedBefore = Math.min(this.job.bytes_transferred, Math.max(0, this.job.bytes_done - first.resumed_from));
    let counted =
      same && this.countedPull !== null
        ? Math.min(this.countedPull.counted, first.bytes_transferred)
        : ownAfterRestart
          ? Math.min(countedBefore, first.bytes_transferred) - unseenPart
          : first.bytes_transferred;
    for (;;) {
      const delta = status.bytes_transferred - counted;
      if (delta > 0) this.deps.onBytes(this.job.target_node_id, delta);
      counted = Math.max(counted, status.bytes_transferred);
      this.countedPull = { resumedFrom: status.resumed_from, counted };
      const state = status.phase === "verifying" ? "verifying" : this.job.state;
      if (delta > 0 || state !== this.job.state || status.bytes_on_disk !== this.job.bytes_done) {
        this.update({ state, bytes_done: status.bytes_on_disk, bytes_transferred: this.job.bytes_transferred + Math.max(0, delta) });
      }
      switch (status.phase) {
        case "completed":
          if (status.verify_ms !== null) this.deps.onVerified(status.verify_ms);
          this.update({ state: "completed", bytes_done: this.job.size_bytes, error: null });
          return { kind: "done" };
        case "failed": {
          const error = status.error ?? { reason: "target_error", message: "pull failed" };
          if (error.reason === "insufficient_disk") {
            this.fail("insufficient_disk", error.message);
            return { kind: "done" };
          }
          return { kind: "failed", reason: error.reason, message: error.message };
        }
        case "canceled":
          return { kind: "failed", reason: "target_error", message: "the pull was canceled on the target" };
        default:
          break;
      }
      await sleep(this.deps.timing.pollMs, undefined, { signal: this.signal });
      try {
        status = await client.pullStatus(this.job.sha256, this.signal);
      } catch (error) {
        // 404: the agent restarted and forgot the pull; telling it again resumes from its part file.
        if (error instanceof StagingCallError && (error.unreachable || error.status === 404)) return { kind: "target_gone" };
        throw error;
      }
    }
  }

  private refused(error: unknown): TransferOutcome {
    if (!(error instanceof StagingCallError)) throw error;
    if (error.unreachable) return { kind: "target_gone" };
    if (error.status === 507) {
      this.fail("insufficient_disk", error.envelope?.message ?? error.message);
      return { kind: "done" };
    }
    if (error.status === 400) {
      // The target refuses the request itself: no other source or later try changes that.
      this.fail("target_error", `node ${this.job.target_node_id} refused the pull: ${error.envelope?.message ?? error.message}`);
      return { kind: "done" };
    }
    return { kind: "failed", reason: "target_error", message: error.envelope?.message ?? error.message };
  }

  private async attemptFailed(reason: StagingFailureReason, message: string, sourceId: string | null): Promise<void> {
    this.failures += 1;
    this.deps.onFailure(reason);
    this.deps.logger.warn({ job_id: this.job.job_id, reason, source: sourceId, failures: this.failures, err: message }, "staging attempt failed");
    const failed = sourceId !== null && SOURCE_FAULTS.includes(reason) ? [...this.job.failed_sources.filter((s) => s !== sourceId), sourceId] : this.job.failed_sources;
    if (this.failures >= this.deps.timing.maxAttempts) {
      this.update({ failed_sources: failed });
      return this.fail("attempts_exhausted", `${message} (gave up after ${this.failures} failed attempts)`);
    }
    this.update({ state: "retrying", error: { reason, message }, failed_sources: failed });
    const backoff = Math.min(this.deps.timing.backoffMaxMs, this.deps.timing.backoffBaseMs * 2 ** (this.failures - 1));
    await sleep(backoff, undefined, { signal: this.signal });
  }

  private fail(reason: StagingFailureReason, message: string): void {
    this.deps.onFailure(reason);
    this.update({ state: "failed", error: { reason, message } });
    this.deps.logger.warn({ job_id: this.job.job_id, reason, err: message }, "staging job failed");
  }
}
