import { API_VERSION } from "../../../src-shared/contract/api-version.js";
import { MAX_TOKENS_LIMIT } from "../../../src-shared/worker-api/sampling.js";
import { WorkloadSchema, type Workload } from "../../../src-shared/tasks/task-request.js";
import type { OrchestratorConfig } from "../../../src-shared/config/orchestrator-config.js";
import type { MetricsHistoryQuery } from "../../../src-shared/dashboard/metrics-history.js";
import type { ResolvedModel } from "../catalog/model-resolver.js";
import type { MetricsHistoryStore } from "../metrics/history-store.js";
import { buildMetricsHistory } from "../metrics/history-view.js";
import type { NodeTelemetry } from "../metrics/node-telemetry.js";
import type { OrchestratorMetrics } from "../metrics/orchestrator-metrics.js";
import type { NodeRecord } from "../registry/node-record.js";
import type { ReadinessCounts } from "../../../src-shared/meta/readiness.js";

export interface MetaServiceDeps {
  version: string;
  startedAtMs: number;
  metrics: OrchestratorMetrics;
  openApiDocument: () => unknown;
  onlineNodes: () => NodeRecord[];
  clusterModels: () => ResolvedModel[];
  /** Host/GPU telemetry from heartbeats and the Metrics view's SQLite history. */
  history: { telemetry: NodeTelemetry; store: MetricsHistoryStore };
  config: () => OrchestratorConfig;
}

/** The meta area: health, version, the OpenAPI document, Prometheus metrics and capabilities. */
export class MetaService {
  constructor(private readonly deps: MetaServiceDeps) {}

  get version(): string {
    return this.deps.version;
  }

  /** When this orchestrator started (compatible APIs use it as the models' creation time). */
  get startedAtMs(): number {
    return this.deps.startedAtMs;
  }

  openApi(): unknown {
    return this.deps.openApiDocument();
  }

  metricsContentType(): string {
    return this.deps.metrics.registry.contentType;
  }

  metricsText(): Promise<string> {
    return this.deps.metrics.registry.metrics();
  }

  versionInfo() {
    return { api_version: API_VERSION, version: this.deps.version, build_commit: process.env.LLORCH_BUILD_COMMIT ?? null, build_time: process.env.LLORCH_BUILD_TIME ?? null };
  }

  /** Whether a request could be served now (a ready, non-draining pool on an Online node); the reason when not. */
  readiness(): { counts: ReadinessCounts; reason: string | null } {
    const nodes = this.deps.onlineNodes();
    const pools = nodes.flatMap((n) => n.pools);
    const ready = pools.filter((p) => p.ready && !p.draining).length;
    const counts = { nodes_online: nodes.length, pools_total: pools.length, pools_ready: ready };
    if (ready > 0) return { counts, reason: null };
    const reason = nodes.length === 0 ? "no worker node is online yet" : pools.length === 0 ? `${nodes.length} node(s) online, but they serve no pools` : `${pools.length} pool(s) registered, none ready yet (loading or draining)`;
    return { counts, reason };
  }

  /** The Metrics view's history for a time range (and one node's own charts). */
  metricsHistory(query: MetricsHistoryQuery) {
    const config = this.deps.config();
    return buildMetricsHistory(this.deps.history.store, this.deps.history.telemetry, query, Date.now(), config.metrics_history_step_ms, config.grafana_url ?? null);
  }

  capabilities() {
    const pools = this.deps.onlineNodes().flatMap((n) => n.pools).filter((p) => p.ready);
    const models = this.deps.clusterModels();
    const engineVersions = [...new Set(pools.map((p) => p.engine_version).filter((v): v is string => v !== undefined))];
    return {
      api_version: API_VERSION,
      engines: [
        {
          engine: "llamacpp",
          ...(engineVersions.length > 0 ? { engine_version: engineVersions.join(",") } : {}),
          ctx_max: Math.max(1, ...models.map((m) => m.context_length ?? 1)),
          max_tokens_out: MAX_TOKENS_LIMIT,
          supported_workloads: supportedWorkloads(models),
          slots_total: pools.reduce((n, p) => n + p.slots_total, 0),
          rate_limits: {},
          features: { streaming: true, chat: true, cancel: true, openai_compatible: true, placement_overrides: true, session_affinity: true },
        },
      ],
    };
  }
}

/**
 * What the cluster's models serve together (a model from an older worker that did not say counts as
 * completion and embedding); before any model is known, everything the llama.cpp engine can serve.
 */
function supportedWorkloads(models: readonly Pick<ResolvedModel, "workloads">[]): Workload[] {
  if (models.length === 0) return [...WorkloadSchema.options];
  const served = new Set(models.flatMap((m) => m.workloads ?? (["completion", "embedding"] as const)));
  return WorkloadSchema.options.filter((w) => served.has(w));
}
