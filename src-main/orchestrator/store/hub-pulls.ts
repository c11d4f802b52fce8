import { createHash, randomUUID } from "node:crypto";
import { rm } from "node:fs/promises";
import type { Logger } from "pino";
import type { HubPull, HubPullRequest } from "../../../src-shared/catalog/hub-pull.js";
import { OrchError } from "../../../src-shared/errors/orch-error.js";
import type { GgufHeader } from "../../../src-shared/gguf/gguf-header.js";
import type { StageModelRequest, StageModelResponse } from "../../../src-shared/staging/staging-job.js";
import type { HubPullStore } from "../db/hub-pull-store.js";
import { runHubPull } from "./hub-pull-runner.js";
import { resolveHubRef } from "./hub-ref.js";
import { storeFileName, storeModelOf } from "./model-import.js";
import type { ModelStore } from "./model-store.js";

export interface HubPullsDeps {
  store: ModelStore;
  hubBaseUrl: () => string;
  /** A hub silent for this long is given up on for that connection (the pull resumes). */
  stallTimeoutMs: () => number;
  bandwidthLimit: () => number | null;
  stage: (sha256: string, request: StageModelRequest) => StageModelResponse;
  /** Whether a node id is registered (a pull's `nodes` are checked before anything is fetched). */
  knownNode: (nodeId: string) => boolean;
  /** Where pulls are kept across restarts. */
  records: HubPullStore;
  logger: Logger;
}

// Progress is saved at most this often while bytes arrive (state changes are saved at once).
const SAVE_EVERY_MS = 1000;

/**
 * Hub pulls into the orchestrator's store. The part file is named after the URL, so asking for the
 * same file again (after a failure or an orchestrator restart) resumes from the bytes on disk. Pulls
 * are rows in SQLite: `resumeUnfinished()` (at start) carries on every pull a stop or crash
 * interrupted, under its own id, from its part file.
 */
export class HubPulls {
  /** `request`: what the pull does once verified; a second request of the same URL joins it and adds its nodes. */
  private readonly pulls = new Map<string, { pull: HubPull; controller: AbortController; done: Promise<void>; request: HubPullRequest }>();
  /** Set by close(): an interrupted pull stays unfinished in the database. */
  private closing = false;

  constructor(private readonly deps: HubPullsDeps) {}

  /** Loads recent finished pulls and restarts the unfinished ones (call once, at start). */
  resumeUnfinished(): HubPull[] {
    for (const { pull, request } of this.deps.records.recentFinished(100)) {
      this.pulls.set(pull.pull_id, { pull, controller: new AbortController(), done: Promise.resolve(), request });
    }
    return this.deps.records.unfinished().map(({ pull, request }) => {
      this.deps.logger.info({ pull_id: pull.pull_id, url: pull.url, bytes_done: pull.bytes_done }, "hub pull interrupted by a restart; resuming from its part file");
      return this.run({ ...pull, state: "transferring", bytes_transferred: 0, error: null }, new URL(pull.url), request);
    });
  }

  start(request: HubPullRequest): HubPull {
    const url = resolveHubRef(request.ref, this.deps.hubBaseUrl());
    // Refused before a byte is fetched: an unknown target used to surface only after the download, as a
    // "failed" pull whose model was in the store all the same.
    const unknown = request.nodes === undefined || request.nodes === "all" ? [] : request.nodes.filter((id) => !this.deps.knownNode(id));
    if (unknown.length > 0) throw new OrchError("NODE_NOT_FOUND", `nodes: unknown node ${unknown.join(", ")}; nothing was pulled`);
    const running = [...this.pulls.values()].find((p) => p.pull.url === url.href && p.pull.finished_at_ms === null);
    if (running !== undefined) return this.join(running, request);
    const pull: HubPull = { pull_id: `pull-${randomUUID()}`, ref: request.ref, url: url.href, state: "transferring", expected_sha256: request.sha256 ?? null, sha256: null, size_bytes: null, bytes_done: 0, bytes_transferred: 0, resumed_from: 0, resumes: 0, error: null, staging_job_ids: [], created_at_ms: Date.now(), finished_at_ms: null };
    return this.run(pull, url, request);
  }

  /**
   * A request for a URL already being pulled joins that pull: its `nodes` are added to the ones the model
   * is staged to once verified (they were dropped), and an expected sha256 that contradicts the running
   * pull's is refused.
   */
  private join(running: { pull: HubPull; request: HubPullRequest }, request: HubPullRequest): HubPull {
    // What the running pull will verify against: the first request's, or what the hub announced.
    const expected = running.request.sha256 ?? running.pull.expected_sha256 ?? undefined;
    if (request.sha256 !== undefined && expected !== undefined && request.sha256 !== expected) {
      throw new OrchError("CONFLICT", `hub pull ${running.pull.pull_id} of this URL is running and expects sha256 ${expected}, not ${request.sha256}`);
    }
    const nodes = mergedNodes(running.request.nodes, request.nodes);
    running.request = { ...running.request, ...(request.sha256 !== undefined ? { sha256: request.sha256 } : {}), ...(nodes !== undefined ? { nodes } : {}) };
    if (running.pull.expected_sha256 === null && request.sha256 !== undefined) running.pull.expected_sha256 = request.sha256;
    this.deps.records.save(running.pull, running.request);
    return running.pull;
  }

  private run(pull: HubPull, url: URL, request: HubPullRequest): HubPull {
    const limits = [request.bandwidth_limit_bytes_per_s ?? null, this.deps.bandwidthLimit()].filter((l): l is number => l !== null);
    const controller = new AbortController();
    const part = this.partOf(url);
    const save = () => this.deps.records.save(pull, request);
    let savedAt = Date.now();
    let savedState = pull.state;
    const onChange = () => {
      if (pull.state === savedState && Date.now() - savedAt < SAVE_EVERY_MS) return;
      save();
      savedAt = Date.now();
      savedState = pull.state;
    };
    save();
    const done = runHubPull(pull, { url, part, limit: limits.length > 0 ? Math.min(...limits) : null, signal: controller.signal, stallTimeoutMs: this.deps.stallTimeoutMs(), onChange })
      // The request as it stands when the model is verified: requests that joined meanwhile added their nodes.
      .then((header) => this.install(pull, part, header, this.pulls.get(pull.pull_id)?.request ?? request))
      .then(
        () => {
          pull.finished_at_ms = Date.now();
          save();
        },
        (error: unknown) => {
          // Stopped by close(): left unfinished in the database, resumed at the next start.
          if (this.closing && controller.signal.aborted) return;
          pull.state = controller.signal.aborted ? "canceled" : "failed";
          pull.error = controller.signal.aborted ? null : error instanceof Error ? error.message : String(error);
          pull.finished_at_ms = Date.now();
          save();
          this.deps.logger.warn({ pull_id: pull.pull_id, url: pull.url, err: pull.error }, "hub pull ended without a model");
        },
      );
    this.pulls.set(pull.pull_id, { pull, controller, done, request });
    return pull;
  }

  list(): HubPull[] {
    return [...this.pulls.values()].map((p) => p.pull).sort((a, b) => b.created_at_ms - a.created_at_ms);
  }

  get(id: string): HubPull {
    const found = this.pulls.get(id);
    if (found === undefined) throw new OrchError("JOB_NOT_FOUND", `no hub pull ${id}`);
    return found.pull;
  }

  /**
   * Stops the pull; its part stays, so pulling the same file again resumes. On a pull that already
   * failed or was canceled, removes that part instead: before, nothing could free it (a canceled 10 GB
   * pull held 10 GB of the orchestrator's disk until the same URL was pulled again).
   */
  async cancel(id: string): Promise<HubPull> {
    const found = this.pulls.get(id);
    if (found === undefined) throw new OrchError("JOB_NOT_FOUND", `no hub pull ${id}`);
    if (found.pull.finished_at_ms !== null) return this.removePart(found.pull);
    found.controller.abort();
    await found.done;
    return found.pull;
  }

  private async removePart(pull: HubPull): Promise<HubPull> {
    if (pull.state === "completed") throw new OrchError("CONFLICT", `hub pull ${pull.pull_id} is already completed; remove the model with DELETE /v2/catalog/models/sha256:${pull.sha256 ?? ""}`);
    // The part is named after the URL: a newer pull of the same URL owns it now.
    const newer = [...this.pulls.values()].find((p) => p.pull.url === pull.url && p.pull.finished_at_ms === null);
    if (newer !== undefined) throw new OrchError("CONFLICT", `hub pull ${newer.pull.pull_id} of the same URL is running and resumes from that part`);
    await rm(this.partOf(new URL(pull.url)), { force: true });
    pull.bytes_done = 0;
    // The stored request is kept on an update (only the record changes).
    this.deps.records.save(pull, { ref: pull.ref });
    this.deps.logger.info({ pull_id: pull.pull_id, url: pull.url }, "hub pull's partial file removed");
    return pull;
  }

  private partOf(url: URL): string {
    return this.deps.store.partPath(`pull-${createHash("sha256").update(url.href).digest("hex").slice(0, 32)}`);
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const p of this.pulls.values()) p.controller.abort();
    await Promise.all([...this.pulls.values()].map((p) => p.done));
  }

  private async install(pull: HubPull, part: string, header: GgufHeader, request: HubPullRequest): Promise<void> {
    const sha256 = pull.sha256 as string;
    await this.deps.store.add(storeModelOf({ sha256, size_bytes: pull.bytes_done, header }, storeFileName(new URL(pull.url).pathname), "pull", pull.ref), { part });
    pull.state = "completed";
    this.deps.logger.info({ pull_id: pull.pull_id, sha256, bytes: pull.bytes_done, transferred: pull.bytes_transferred, resumed_from: pull.resumed_from, resumes: pull.resumes }, "hub pull verified");
    if (request.nodes !== undefined) {
      try {
        const staged = this.deps.stage(sha256, { nodes: request.nodes, ...(request.bandwidth_limit_bytes_per_s !== undefined ? { bandwidth_limit_bytes_per_s: request.bandwidth_limit_bytes_per_s } : {}) });
        pull.staging_job_ids = staged.jobs.map((j) => j.job_id);
      } catch (error) {
        // The model is in the store: the pull completed. Only the follow-up failed (a node gone meanwhile).
        pull.error = `the model is in the store; staging it to the nodes failed: ${error instanceof Error ? error.message : String(error)}`;
        this.deps.logger.warn({ pull_id: pull.pull_id, sha256, err: pull.error }, "hub pull verified, staging not started");
      }
    }
  }
}

/** The nodes of two requests for one pull: "all" wins, lists are joined, none is none. */
function mergedNodes(a: HubPullRequest["nodes"], b: HubPullRequest["nodes"]): HubPullRequest["nodes"] {
  if (a === "all" || b === "all") return "all";
  if (a === undefined) return b;
  if (b === undefined) return a;
  return [...new Set([...a, ...b])];
}
