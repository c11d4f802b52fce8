import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { OrchestratorConfig } from "../../../src-shared/config/orchestrator-config.js";
import { OrchError } from "../../../src-shared/errors/orch-error.js";
import { SelftestSectionNameSchema, type DetectionResult, type FairnessResult, type OverheadResult, type SelftestRequest, type SelftestRun, type SelftestSectionName } from "../../../src-shared/selftest/selftest.js";
import type { AuditLog } from "../db/audit-log.js";
import type { NodeRegistry } from "../registry/node-registry.js";
import { measureDetection } from "../selftest/detection-probe.js";
import { measureFairness } from "../selftest/fairness-probe.js";
import { measureOverhead } from "../selftest/overhead-probe.js";
import type { SelfClient } from "../selftest/self-client.js";
import { readyGenerationPools, type TestTarget } from "../selftest/test-target.js";
import type { WorkerClients } from "../workers/worker-clients.js";

export interface SelftestServiceDeps {
  registry: NodeRegistry;
  workers: WorkerClients;
  self: SelfClient;
  config: () => OrchestratorConfig;
  version: string;
  audit: AuditLog;
  logger: Logger;
}

/** Runs kept for GET (in memory only: a report is exported by its reader, not archived here). */
const KEPT_RUNS = 10;

interface LiveRun {
  run: SelftestRun;
  abort: AbortController;
  settled: Promise<void>;
}

/**
 * The self-test area (docs/CLUSTER.md "Self-test"): one bounded run at a time, measuring the
 * operator's own cluster. Overhead and fairness use the smallest ready model; detection touches only
 * the node named in `stop_node` (the operator's consent). Cancel aborts the probes, whose finally
 * blocks cancel their tasks and wait for a hung node to come back.
 */
export class SelftestService {
  private readonly runs: LiveRun[] = [];

  constructor(private readonly deps: SelftestServiceDeps) {}

  start(request: SelftestRequest, actor: string): SelftestRun {
    // Always in the schema's order, each once: the section that disturbs a node runs last.
    const req: SelftestRequest = { ...request, sections: SelftestSectionNameSchema.options.filter((s) => request.sections.includes(s)) };
    const running = this.runs.find((r) => r.run.state === "running");
    if (running !== undefined) throw new OrchError("CONFLICT", `self-test ${running.run.id} is still running; wait for it or POST /v2/selftest/${running.run.id}/cancel`, { details: { running: running.run.id } });
    const wants = (s: SelftestSectionName) => req.sections.includes(s);
    if (req.stop_node !== undefined && !wants("detection")) throw new OrchError("INVALID_PARAMS", "stop_node is consent for the detection section, which this request leaves out");
    if (req.stop_node !== undefined) {
      const node = this.deps.registry.get(req.stop_node);
      if (node === undefined) throw new OrchError("NODE_NOT_FOUND", `no node "${req.stop_node}"; stop_node must name a node of this cluster`);
      if (node.status !== "Online") throw new OrchError("CONFLICT", `node ${req.stop_node} is ${node.status}; detection needs it Online`);
    }
    const target = this.target();
    if ((wants("overhead") || wants("fairness")) && target === null) {
      throw new OrchError("POOL_UNAVAILABLE", "no pool is ready to serve a completion: the self-test needs one (start a worker with a generation model, or run only the detection section)");
    }
    const now = Date.now();
    const total = (wants("overhead") ? req.samples * 2 : 0) + (wants("fairness") ? req.fairness_tasks * 2 : 0) + (wants("detection") && req.stop_node !== undefined ? 2 : 0);
    const run: SelftestRun = {
      id: `st-${now.toString(36)}-${randomUUID().slice(0, 8)}`, state: "running", started_by: actor, request: req,
      phase: req.sections[0] ?? "done", done: 0, total, message: "starting", started_at_ms: now, finished_at_ms: null, report: null,
    };
    const abort = new AbortController();
    const live: LiveRun = { run, abort, settled: Promise.resolve() };
    live.settled = this.execute(live, target);
    this.runs.unshift(live);
    if (this.runs.length > KEPT_RUNS) this.runs.length = KEPT_RUNS;
    this.deps.audit.record({ at_ms: now, identity: actor, action: "selftest_started", target: run.id, outcome: "success", details: { sections: req.sections, stop_node: req.stop_node ?? null } });
    this.deps.logger.info({ selftest: run.id, sections: req.sections, stop_node: req.stop_node ?? null, by: actor }, "self-test started");
    return structuredClone(run);
  }

  get(id: string): SelftestRun {
    const live = this.runs.find((r) => r.run.id === id);
    if (live === undefined) throw new OrchError("NOT_FOUND", `no self-test run "${id}" (runs are kept in memory, the last ${KEPT_RUNS})`);
    return structuredClone(live.run);
  }

  list(): SelftestRun[] {
    return this.runs.map((r) => structuredClone(r.run));
  }

  /** Aborts the run and answers once it settled: its tasks canceled, a hung node back (bounded). */
  async cancel(id: string, actor: string): Promise<SelftestRun> {
    const live = this.runs.find((r) => r.run.id === id);
    if (live === undefined) throw new OrchError("NOT_FOUND", `no self-test run "${id}"`);
    if (live.run.state === "running") {
      this.deps.audit.record({ at_ms: Date.now(), identity: actor, action: "selftest_canceled", target: id, outcome: "success" });
      live.abort.abort(new Error(`canceled by ${actor}`));
      await live.settled;
    }
    return structuredClone(live.run);
  }

  /** Aborts a running test at shutdown and waits for its cleanup. */
  async close(): Promise<void> {
    for (const live of this.runs) if (live.run.state === "running") live.abort.abort(new Error("orchestrator shutting down"));
    await Promise.all(this.runs.map((r) => r.settled));
  }

  private target(): TestTarget | null {
    return readyGenerationPools(this.deps.registry.list(), (pool) => this.deps.registry.placementHold(pool))[0] ?? null;
  }

  private async execute(live: LiveRun, firstTarget: TestTarget | null): Promise<void> {
    const { run, abort } = live;
    const req = run.request;
    const signal = abort.signal;
    const config = this.deps.config();
    const step = () => {
      run.done = Math.min(run.total, run.done + 1);
    };
    const notRun = (why: string) => ({ status: "skipped" as const, reason: why });
    let overhead: OverheadResult = notRun(req.sections.includes("overhead") ? "not reached" : "not requested");
    let fairness: FairnessResult = notRun(req.sections.includes("fairness") ? "not reached" : "not requested");
    let detection: DetectionResult = notRun(req.sections.includes("detection") ? (req.stop_node === undefined ? "no consent: name the node to stop in stop_node" : "not reached") : "not requested");
    const failure = (err: unknown) => ({ status: "failed" as const, reason: signal.aborted ? `canceled (${String((signal.reason as Error | undefined)?.message ?? "")})` : err instanceof Error ? err.message : String(err) });
    try {
      for (const section of req.sections) {
        if (signal.aborted) break;
        run.phase = section;
        if (section === "overhead") {
          const target = firstTarget ?? this.target();
          if (target === null) { overhead = notRun("no ready pool"); continue; }
          run.message = `router overhead: ${req.samples} completions each way on ${target.pool_id} (${target.model_name})`;
          overhead = await measureOverhead({ target, samples: req.samples, maxTokens: req.max_tokens, workers: this.deps.workers, self: this.deps.self, idleMs: config.worker_stream_idle_ms, signal, step }).catch(failure);
        } else if (section === "fairness") {
          const target = this.target();
          if (target === null) { fairness = notRun("no ready pool"); continue; }
          run.message = `queue fairness: ${target.slots_total} blocker(s), then ${req.fairness_tasks} batch and ${req.fairness_tasks} interactive tasks on ${target.pool_id}`;
          fairness = await measureFairness({ target, perLane: req.fairness_tasks, self: this.deps.self, signal, step }).catch(failure);
        } else if (req.stop_node !== undefined) {
          run.message = `failure detection: node ${req.stop_node} hangs for ${req.hang_ms} ms (operator's consent)`;
          this.deps.logger.warn({ selftest: run.id, node_id: req.stop_node, hang_ms: req.hang_ms }, "self-test: asking a node to hang, with the operator's consent");
          detection = await measureDetection({
            nodeId: req.stop_node, hangMs: req.hang_ms, workers: this.deps.workers, statusOf: (id) => this.deps.registry.get(id)?.status,
            nodeSuspectMs: config.node_suspect_ms, nodeTimeoutMs: config.node_timeout_ms, workerStreamIdleMs: config.worker_stream_idle_ms, signal, step,
          }).catch(failure);
        }
      }
      run.state = signal.aborted ? "canceled" : "completed";
      run.message = signal.aborted ? "canceled" : "done";
    } catch (err) {
      run.state = signal.aborted ? "canceled" : "failed";
      run.message = err instanceof Error ? err.message : String(err);
    } finally {
      const finished = Date.now();
      const reach = (r: OverheadResult | FairnessResult | DetectionResult) => (signal.aborted && r.status === "skipped" && r.reason === "not reached" ? notRun("canceled before it ran") : r);
      run.report = { orchestrator_version: this.deps.version, started_at_ms: run.started_at_ms, finished_at_ms: finished, overhead: reach(overhead) as OverheadResult, fairness: reach(fairness) as FairnessResult, detection: reach(detection) as DetectionResult };
      run.phase = "done";
      run.finished_at_ms = finished;
      this.deps.logger.info({ selftest: run.id, state: run.state }, "self-test ended");
    }
  }
}
