import { Registry, collectDefaultMetrics } from "prom-client";
import { BUILD_INFO_METRIC, CLOUD_METRICS, CONTROL_METRICS, DATABASE_METRICS, STAGING_METRICS, TASK_METRICS } from "../../../src-shared/metrics/metric-names.js";
import { DeferredCounts } from "../../../src-node/deferred-counts.js";
import { metricCounter as counter, metricGauge as gauge, metricHistogram as histogram } from "../../../src-node/metric-factory.js";

/** What the node and pool gauges show, read at scrape time (never written per heartbeat). */
export interface NodeGaugeSource {
  nodesOnline(): number;
  nodesByStatus(): Iterable<{ status: string; eligibility: string; count: number }>;
  poolsAvailable(): Iterable<{ pool_id: string; available: boolean }>;
}

/**
 * Every metric the orchestrator exports, on a registry of its own (several orchestrators can live
 * in one process, e.g. in tests). Names, help and labels come from src-shared/metrics so the
 * dashboards and alert rules use the same definitions; each is set by the code path it describes.
 */
export class OrchestratorMetrics {
  readonly registry = new Registry();
  private nodeSource: NodeGaugeSource | null = null;

  readonly nodeRegistrations = counter(CLOUD_METRICS.nodeRegistrations, this.registry);
  /** Heartbeats by node and outcome, added to `nodeHeartbeats` when it is read (deferred-counts.ts). */
  readonly heartbeatCounts = new DeferredCounts("node_id", "outcome");
  readonly nodeHeartbeats = counter(CLOUD_METRICS.nodeHeartbeats, this.registry, (c) => this.heartbeatCounts.flushInto(c));
  readonly nodeDeregistrations = counter(CLOUD_METRICS.nodeDeregistrations, this.registry);
  readonly poolHealthChecks = counter(CLOUD_METRICS.poolHealthChecks, this.registry);
  readonly nodesOnline = gauge(CLOUD_METRICS.nodesOnline, this.registry, (g) => {
    if (this.nodeSource) g.set(this.nodeSource.nodesOnline());
  });
  readonly poolsAvailable = gauge(CLOUD_METRICS.poolsAvailable, this.registry, (g) => {
    if (this.nodeSource === null) return;
    g.reset(); // pools of removed nodes disappear
    for (const p of this.nodeSource.poolsAvailable()) g.set({ pool_id: p.pool_id }, p.available ? 1 : 0);
  });
  readonly poolHealthCheckDuration = histogram(CLOUD_METRICS.poolHealthCheckDuration, this.registry);
  /** Status and eligibility are separate (Nomad): a drained node is still Online, so it is counted by both. */
  readonly nodes = gauge(CONTROL_METRICS.nodes, this.registry, (g) => {
    if (this.nodeSource === null) return;
    g.reset();
    for (const n of this.nodeSource.nodesByStatus()) g.set({ status: n.status, eligibility: n.eligibility }, n.count);
  });
  readonly poolReconcileCommands = counter(CONTROL_METRICS.poolReconcileCommands, this.registry);
  readonly poolEjections = counter(CONTROL_METRICS.poolEjections, this.registry);

  readonly queueDepth = gauge(TASK_METRICS.queueDepth, this.registry);
  readonly admissionCapacity = gauge(TASK_METRICS.admissionCapacity, this.registry);
  readonly queueIdentities = gauge(TASK_METRICS.queueIdentities, this.registry);
  readonly tasksEnqueued = counter(TASK_METRICS.tasksEnqueued, this.registry);
  readonly tasksStarted = counter(TASK_METRICS.tasksStarted, this.registry);
  readonly tasksCanceled = counter(TASK_METRICS.tasksCanceled, this.registry);
  readonly tasksRejected = counter(TASK_METRICS.tasksRejected, this.registry);
  readonly tasksCompleted = counter(TASK_METRICS.tasksCompleted, this.registry);
  readonly backpressureEvents = counter(TASK_METRICS.admissionBackpressure, this.registry);
  readonly firstTokenLatency = histogram(TASK_METRICS.latencyFirstToken, this.registry);
  readonly decodeLatency = histogram(TASK_METRICS.latencyDecode, this.registry);
  readonly tokensIn = counter(TASK_METRICS.tokensIn, this.registry);
  readonly tokensOut = counter(TASK_METRICS.tokensOut, this.registry);
  readonly placementDecisions = counter(TASK_METRICS.placementDecisions, this.registry);
  readonly placementCandidates = gauge(TASK_METRICS.placementCandidates, this.registry);
  readonly taskRetries = counter(TASK_METRICS.tasksReplaced, this.registry);
  readonly tasksRescued = counter(TASK_METRICS.tasksRescued, this.registry);
  readonly buildInfo = gauge(BUILD_INFO_METRIC, this.registry);

  readonly stagingBytes = counter(STAGING_METRICS.stagingBytes, this.registry);
  readonly stagingJobs = gauge(STAGING_METRICS.stagingJobs, this.registry);
  readonly stagingFailures = counter(STAGING_METRICS.stagingFailures, this.registry);
  readonly stagingVerifyDuration = histogram(STAGING_METRICS.stagingVerifyDuration, this.registry);

  readonly checkpointDuration = histogram(DATABASE_METRICS.checkpointDuration, this.registry);
  readonly checkpointFrames = counter(DATABASE_METRICS.checkpointFrames, this.registry);
  readonly walFrames = gauge(DATABASE_METRICS.walFrames, this.registry);
  readonly checkpointThread = gauge(DATABASE_METRICS.checkpointThread, this.registry);

  /** The node gauges read from `source` when scraped. */
  observeNodes(source: NodeGaugeSource): void {
    this.nodeSource = source;
  }

  constructor(version: string) {
    this.buildInfo.set({ version, commit: "unknown", component: "orchestrator" }, 1);
    // Known label values (src-shared/metrics knownLabels) start at 0 in the metric factory.
    collectDefaultMetrics({ register: this.registry, prefix: "orchd_process_" });
  }
}
