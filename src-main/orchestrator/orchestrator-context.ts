import type { Logger } from "pino";
import type { Settings, SettingsUpdate } from "../../src-shared/dashboard/settings.js";
import type { ClusterFeed } from "./dashboard/cluster-feed.js";
import type { ApiKeyStore } from "./db/api-key-store.js";
import type { LogRing } from "./logging/log-ring.js";
import type { OrchestratorConfig } from "../../src-shared/config/orchestrator-config.js";
import type { SessionStore } from "./scheduling/session-store.js";
import type { DashboardSessions } from "./auth/dashboard-sessions.js";
import type { TokenSet } from "./auth/token-set.js";
import type { ResolvedModel } from "./catalog/model-resolver.js";
import type { AuditLog } from "./db/audit-log.js";
import type { CatalogStore } from "./db/catalog-store.js";
import type { CatalogModelView } from "../../src-shared/catalog/catalog-view.js";
import type { StagingService } from "./staging/staging-service.js";
import type { Db } from "./db/database.js";
import type { TaskService } from "./tasks/task-service.js";
import type { OrchestratorMetrics } from "./metrics/orchestrator-metrics.js";
import type { PoolProber } from "./probes/pool-prober.js";
import type { NodeRegistry } from "./registry/node-registry.js";
import type { MetricsHistoryStore } from "./metrics/history-store.js";
import type { NodeTelemetry } from "./metrics/node-telemetry.js";

/** The services of one orchestrator instance, handed to route handlers. */
export interface OrchestratorContext {
  config: () => OrchestratorConfig;
  version: string;
  startedAtMs: number;
  logger: Logger;
  db: Db;
  registry: NodeRegistry;
  tasks: TaskService;
  sessions: SessionStore;
  audit: AuditLog;
  catalog: CatalogStore;
  metrics: OrchestratorMetrics;
  tokens: TokenSet;
  dashboardSessions: DashboardSessions;
  prober: PoolProber;
  /** The token the orchestrator presents to worker agents. */
  workerToken: (nodeId: string) => string;
  /** Every model some node reports, with unique ids. */
  clusterModels: () => ResolvedModel[];
  /** The catalog by sha256 with per-node state (GET /v2/catalog/models). */
  catalogViews: () => CatalogModelView[];
  /** Model staging jobs and model removal. */
  staging: StagingService;
  feed: ClusterFeed;
  apiKeys: ApiKeyStore;
  logRing: LogRing;
  /** The token sources that are not API keys (configured, generated), by fingerprint. */
  builtinTokens: { fp6: string; source: "config" | "generated" }[];
  settings: () => Settings;
  /** Validated settings change: applied at once and persisted. */
  applySettings: (update: SettingsUpdate) => Settings;
  /** Base URL clients should use (the listening address). */
  publicUrl: () => string;
  /** The OpenAPI document served at /openapi.json. */
  openApiDocument: () => unknown;
  /** Host/GPU telemetry from heartbeats and the Metrics view's SQLite history. */
  history: { telemetry: NodeTelemetry; store: MetricsHistoryStore };
}
