import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { Request } from "express";
import { pino, type DestinationStream } from "pino";
import { isLoopbackHost, splitHostPort } from "../../src-shared/config/host-port.js";
import type { OrchestratorConfig } from "../../src-shared/config/orchestrator-config.js";
import { buildOrchestratorOpenApi } from "../../src-shared/contract/documents.js";
import { ORCHESTRATOR_ROUTES } from "../../src-shared/contract/orchestrator-routes.js";
import { buildApp } from "../../src-node/build-app.js";
import { hostOriginGuard } from "../../src-node/host-origin-guard.js";
import { applyServerTimeouts } from "../../src-node/server-timeouts.js";
import { SessionStore } from "./scheduling/session-store.js";
import { DashboardSessions } from "./auth/dashboard-sessions.js";
import { bootstrapApiTokens, StartupRefused, type ApiToken } from "./auth/api-token-bootstrap.js";
import { listClusterModels, type ResolvedModel } from "./catalog/model-resolver.js";
import { AuditLog } from "./db/audit-log.js";
import { CatalogStore } from "./db/catalog-store.js";
import { stagingHandlers } from "./http/handlers/staging-handlers.js";
import { createCatalogAndStaging } from "./staging/staging-setup.js";
import { openDatabase } from "./db/database.js";
import { ApiKeyStore } from "./db/api-key-store.js";
import { DashboardSessionStore } from "./db/dashboard-session-store.js";
import { SettingsStore } from "./db/settings-store.js";
import { ClusterFeed } from "./dashboard/cluster-feed.js";
import { defaultDashboardDir, mountDashboard } from "./dashboard/mount-dashboard.js";
import { readPackageVersion } from "./meta/package-version.js";
import { RuntimeSettings } from "./settings/runtime-settings.js";
import { adminHandlers } from "./http/handlers/admin-handlers.js";
import { NodeStore } from "./db/node-store.js";
import { PoolDesiredStore } from "./db/pool-desired-store.js";
import { TaskJournal } from "./db/task-journal.js";
import { TaskService } from "./tasks/task-service.js";
import { WorkerClients } from "./workers/worker-clients.js";
import { createAuthenticator } from "./http/orchestrator-authenticator.js";
import { catalogHandlers } from "./http/handlers/catalog-handlers.js";
import { metaHandlers } from "./http/handlers/meta-handlers.js";
import { nodeHandlers } from "./http/handlers/node-handlers.js";
import { openAiHandlers } from "./http/handlers/openai-handlers.js";
import { anthropicHandlers } from "./http/handlers/anthropic-handlers.js";
import { ollamaHandlers } from "./http/handlers/ollama-handlers.js";
import { withApiKeyHeader } from "./http/api-key-header.js";
import { poolHandlers } from "./http/handlers/pool-handlers.js";
import { sessionHandlers } from "./http/handlers/session-handlers.js";
import { taskHandlers } from "./http/handlers/task-handlers.js";
import { createLogger } from "./logging/logger.js";
import { LogRing } from "./logging/log-ring.js";
import { OrchestratorMetrics } from "./metrics/orchestrator-metrics.js";
import type { OrchestratorContext } from "./orchestrator-context.js";
import { PoolProber } from "./probes/pool-prober.js";
import { NodeRegistry } from "./registry/node-registry.js";
import { NodeWatcher } from "./registry/node-watcher.js";
import { nodeGaugeSource } from "./registry/node-gauges.js";
import { workerPoolCommander } from "./workers/worker-pool-commander.js";
import { PoolDesiredState } from "./registry/pool-desired-state.js";
import { PoolReconciler } from "./registry/pool-reconciler.js";

export const ORCHESTRATOR_VERSION = readPackageVersion();

export interface OrchestratorOptions {
  config: OrchestratorConfig;
  /** Where JSON log lines go besides the dashboard's log ring (default stdout). */
  logDestination?: DestinationStream;
}

export interface Orchestrator {
  /** Starts listening; resolves with the base URL (e.g. http://127.0.0.1:8080). */
  listen(): Promise<string>;
  /** Graceful stop: no new tasks, in-flight tasks finish or fail with a terminal event, database closed. */
  close(): Promise<void>;
  readonly url: string | null;
  /** The token API clients use: the configured one, or the generated one and where it is stored. */
  readonly apiToken: ApiToken;
  /** A one-time code for the browser dashboard: open `${url}/login?code=…`. */
  issueLoginCode(): string;
  readonly context: OrchestratorContext;
}

export { StartupRefused };

export function createOrchestrator(options: OrchestratorOptions): Orchestrator {
  const { host, port } = splitHostPort(options.config.bind_addr);
  const loopback = isLoopbackHost(host);
  const logRing = new LogRing();
  const logger = createLogger(options.config.log_level, "orchestrator", options.logDestination ?? pino.destination({ dest: 1, sync: false }), logRing);
  const { tokens, apiToken, builtin } = bootstrapApiTokens(options.config, loopback, logger);

  const db = openDatabase(join(options.config.data_dir, "orchestrator.db"));
  const runtime = new RuntimeSettings(options.config, new SettingsStore(db));
  const getConfig = runtime.config;
  const config = getConfig();
  const apiKeys = new ApiKeyStore(db);
  for (const key of apiKeys.list()) if (key.revoked_at_ms === null) tokens.addDigest(Buffer.from(key.digest_hex, "hex"), key.fp6, key.id);
  const metrics = new OrchestratorMetrics(ORCHESTRATOR_VERSION);
  const poolDesired = new PoolDesiredState(new PoolDesiredStore(db));
  const registry = new NodeRegistry(new NodeStore(db), poolDesired);
  const journal = new TaskJournal(db);
  const audit = new AuditLog(db);
  const catalog = new CatalogStore(db);
  const sessions = new SessionStore({ ttlMs: config.session_ttl_ms, maxTurns: config.session_max_turns, tokenBudget: config.session_token_budget });
  const dashboardSessions = new DashboardSessions(new DashboardSessionStore(db));
  // Each node is called with the token it registered with (a dashboard-created join key, say).
  const workerToken = (nodeId: string) => registry.get(nodeId)?.credential ?? apiToken.token;
  const workers = new WorkerClients((nodeId) => {
    const node = registry.get(nodeId);
    return node === undefined ? undefined : { address: node.address, token: workerToken(nodeId) };
  });
  let modelsCache: ResolvedModel[] | null = null;
  const clusterModels = () => (modelsCache ??= listClusterModels([...registry.modelHolders().values()].map((h) => h.model)));
  const tasks = new TaskService({ config: getConfig, registry, sessions, journal, workers, metrics, logger, clusterModels, retiredModels: () => catalog.retiredShas() });
  const { staging, catalogViews, stopSync: stopCatalogSync } = createCatalogAndStaging({
    db,
    registry,
    workers,
    workerToken,
    bandwidthLimit: () => (config.staging_bandwidth_limit_bytes_per_s > 0 ? config.staging_bandwidth_limit_bytes_per_s : null),
    records: () => catalog.list(),
    metrics,
    logger,
  });
  const prober = new PoolProber(registry, metrics, workerToken, logger);
  const watcher = new NodeWatcher(registry, workerToken, logger);
  const reconciler = new PoolReconciler(registry, poolDesired, workerPoolCommander(workers), metrics, logger);
  const startedAtMs = Date.now();

  // Crash-proof admission: acknowledged tasks that never reached a worker are queued again; those
  // that were running end with one recorded failure (their worker's stream died with this process).
  const recovery = journal.recover(Date.now());
  for (const row of recovery.interrupted) logger.warn({ task_id: row.task_id, node_id: row.node_id, tokens_out: row.tokens_out }, "task interrupted by an orchestrator restart; recorded as failed");
  const restored = tasks.restore(recovery.requeue);
  if (restored.length > 0) logger.info({ tasks: restored.length }, "tasks acknowledged before a restart are queued again");

  // A heartbeat that only refreshes liveness changes no model list; gauges are read at scrape time.
  registry.on("changed", (_nodeId, change) => {
    if (change === "state") modelsCache = null;
  });
  metrics.observeNodes(nodeGaugeSource(registry));
  registry.on("event", (nodeId, event) => logger.info({ node_id: nodeId, kind: event.kind }, `node ${nodeId}: ${event.message}`));

  let url: string | null = null;
  const publicUrl = () => url ?? `http://${getConfig().bind_addr}`;
  const settings = () => runtime.view();
  const feed = new ClusterFeed(registry, tasks, logRing, settings, publicUrl, ORCHESTRATOR_VERSION);
  runtime.onChange((c) => {
    tasks.scheduler.configure();
    sessions.configure({ ttlMs: c.session_ttl_ms, maxTurns: c.session_max_turns, tokenBudget: c.session_token_budget });
    feed.settingsChanged();
  });
  staging.on("job", (job) => feed.stagingJobChanged(job));
  const openApi = buildOrchestratorOpenApi();
  const context: OrchestratorContext = {
    config: getConfig,
    version: ORCHESTRATOR_VERSION,
    startedAtMs,
    logger,
    db,
    registry,
    tasks,
    sessions,
    audit,
    catalog,
    metrics,
    tokens,
    dashboardSessions,
    prober,
    workerToken,
    feed,
    apiKeys,
    logRing,
    builtinTokens: builtin,
    settings,
    applySettings: (update) => runtime.apply(update),
    publicUrl,
    clusterModels,
    catalogViews,
    staging,
    openApiDocument: () => openApi,
  };

  const onAuthFailure = (req: Request, presented: string | null, code: "MISSING_TOKEN" | "BAD_TOKEN") => {
    logger.warn({ path: req.path, method: req.method, code, presented_fp6: presented, event: "auth_failed" }, "authentication failed");
    audit.record({ at_ms: Date.now(), identity: presented ? `token:${presented}` : "anonymous", action: "auth_failed", target: `${req.method} ${req.path}`, outcome: "denied", details: { code } });
    const heartbeat = /^\/v2\/nodes\/([^/]+)\/heartbeat$/.exec(req.path);
    if (heartbeat) metrics.nodeHeartbeats.inc({ node_id: heartbeat[1] as string, outcome: "unauthorized" });
  };
  // Anthropic clients present the token as x-api-key; everyone else as a bearer token or the dashboard cookie.
  const authenticator = withApiKeyHeader(createAuthenticator(tokens, dashboardSessions, onAuthFailure), tokens, (req, presented) => onAuthFailure(req, presented, "BAD_TOKEN"));

  const dashboardDir = config.dashboard_dir ?? defaultDashboardDir();
  const app = buildApp({
    routes: ORCHESTRATOR_ROUTES,
    handlers: {
      ...metaHandlers(context),
      ...nodeHandlers(context),
      ...taskHandlers(context),
      ...sessionHandlers(context),
      ...poolHandlers(context),
      ...catalogHandlers(context),
      ...stagingHandlers(context),
      ...openAiHandlers(context),
      ...anthropicHandlers(context),
      ...ollamaHandlers(context),
      ...adminHandlers(context),
    },
    authenticator,
    logger,
    serverName: "orchestrator",
    guards: [hostOriginGuard({ loopbackBind: loopback, allowedOrigins: () => config.allowed_origins })],
    isPublic: (route) => route.path === "/metrics" && config.metrics_public,
    extra: (app) => mountDashboard(app, dashboardDir, dashboardSessions, logger),
  });

  const server: Server = createServer(app);
  applyServerTimeouts(server, { headersTimeoutMs: 10_000, requestTimeoutMs: 60_000, keepAliveTimeoutMs: 5_000 });
  const timers: NodeJS.Timeout[] = [];

  return {
    get url() {
      return url;
    },
    apiToken,
    context,
    issueLoginCode: () => dashboardSessions.issueCode(),
    async listen() {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => resolve());
      });
      const addr = server.address() as AddressInfo;
      url = `http://${addr.family === "IPv6" ? `[${addr.address}]` : addr.address}:${addr.port}`;
      const sweep = setInterval(() => {
        registry.sweep({ suspectAfterMs: config.node_suspect_ms, offlineAfterMs: config.node_timeout_ms, baseIntervalMs: config.heartbeat_interval_ms });
        // Deadlines pass and nodes change state with time: reconsider every queued task each tick.
        tasks.scheduler.reconsiderAll();
      }, 250);
      sweep.unref();
      timers.push(sweep);
      prober.start(config.pool_probe_interval_ms);
      feed.start();
      staging.start();
      logger.info({ url, token_fp6: apiToken.fp6, data_dir: config.data_dir }, "orchestrator listening");
      return url;
    },
    async close() {
      for (const t of timers) clearInterval(t);
      prober.stop();
      feed.stop();
      watcher.close();
      reconciler.close();
      await staging.close();
      stopCatalogSync();
      await tasks.shutdown(config.shutdown_grace_ms);
      server.closeIdleConnections();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        setTimeout(() => {
          server.closeAllConnections();
          resolve();
        }, 2000).unref();
      });
      db.close();
      logger.info("orchestrator stopped");
      logger.flush();
    },
  };
}

