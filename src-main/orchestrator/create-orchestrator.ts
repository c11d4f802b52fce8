import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { hostname } from "node:os";
import type { Request } from "express";
import { pino, type DestinationStream, type Logger } from "pino";
import type { NodeInfo, NodeStatus } from "../../src-shared/nodes/node-info.js";
import { isLoopbackHost, splitHostPort } from "../../src-shared/config/host-port.js";
import type { OrchestratorConfig } from "../../src-shared/config/orchestrator-config.js";
import type { PinnedSetting } from "../../src-shared/dashboard/settings.js";
import { buildOrchestratorOpenApi } from "../../src-shared/contract/documents.js";
import { ORCHESTRATOR_ROUTES } from "../../src-shared/contract/orchestrator-routes.js";
import { requiredScopes } from "../../src-shared/contract/route-scopes.js";
import { AuthFailureLimiter, DEFAULT_AUTH_FAILURE_LIMITS, type AuthFailureLimits } from "../../src-node/auth-failure-limiter.js";
import { buildListener } from "../../src-node/build-app.js";
import { createTracing, tracesEndpoint } from "../../src-node/tracing/otel-tracing.js";
import { corsPolicy } from "../../src-node/cors-policy.js";
import { hostOriginGuard } from "../../src-node/host-origin-guard.js";
import { repeatedHeaderGuard } from "../../src-node/repeated-headers.js";
import { createLimitedServer, ORCHESTRATOR_SERVER_LIMITS, type Server, type ServerLimits } from "../../src-node/http-server.js";
import { LogRateLimiter } from "../../src-node/log-rate-limiter.js";
import { clientAddress } from "../../src-node/route-auth.js";
import { AuthFailureAudit } from "./auth/auth-failure-audit.js";
import { SessionStore } from "./scheduling/session-store.js";
import { DashboardSessions } from "./auth/dashboard-sessions.js";
import { bootstrapApiTokens, StartupRefused, type ApiToken } from "./auth/api-token-bootstrap.js";
import { listClusterModels, type ResolvedModel } from "./catalog/model-resolver.js";
import { AuditLog, truncateField, type AuditEntry } from "./db/audit-log.js";
import { CatalogStore } from "./db/catalog-store.js";
import { stagingHandlers } from "./http/handlers/staging-handlers.js";
import { createCatalogAndStaging } from "./staging/staging-setup.js";
import { storeHandlers } from "./http/handlers/store-handlers.js";
import { ModelStore } from "./store/model-store.js";
import { HubPulls } from "./store/hub-pulls.js";
import { HubPullStore } from "./db/hub-pull-store.js";
import { openDatabase } from "./db/database.js";
import { databaseFailure } from "./db/database-unusable.js";
import { lockDataDir, type DataDirLock } from "./db/data-dir-lock.js";
import { WalCheckpointer } from "./db/wal-checkpointer.js";
import { ApiKeyStore } from "./db/api-key-store.js";
import { DashboardSessionStore } from "./db/dashboard-session-store.js";
import { SettingsStore } from "./db/settings-store.js";
import { ClusterFeed } from "./dashboard/cluster-feed.js";
import { defaultDashboardDir, mountDashboard } from "./dashboard/mount-dashboard.js";
import { readPackageVersion } from "./meta/package-version.js";
import { RuntimeSettings } from "./settings/runtime-settings.js";
import { AdminService } from "./app/admin-service.js";
import { MetaService } from "./app/meta-service.js";
import { ModelService } from "./app/model-service.js";
import { NodeService } from "./app/node-service.js";
import { PoolService } from "./app/pool-service.js";
import { StoreService } from "./app/store-service.js";
import { SelftestService } from "./app/selftest-service.js";
import { SelfClient } from "./selftest/self-client.js";
import { selftestHandlers } from "./http/handlers/selftest-handlers.js";
import { clusterFetch } from "../../src-node/tls/cluster-fetch.js";
import { adminHandlers } from "./http/handlers/admin-handlers.js";
import { NodeStore } from "./db/node-store.js";
import { PoolDesiredStore } from "./db/pool-desired-store.js";
import { TaskJournal } from "./db/task-journal.js";
import { TaskService } from "./tasks/task-service.js";
import { journaledOwner, outlivesConnection } from "./tasks/stored-task.js";
import { KeyUsageMeter } from "./auth/key-usage-meter.js";
import { KeyUsageStore } from "./db/key-usage-store.js";
import { inTransaction } from "./db/transaction.js";
import { applyJournalRetention, JOURNAL_RETENTION_EVERY_MS } from "./tasks/journal-retention.js";
import { WorkerClients } from "./workers/worker-clients.js";
import { NodeFetches } from "./workers/node-fetches.js";
import { loadClusterTls } from "./tls/cluster-ca.js";
import { useInPlaceOnNode } from "./workers/in-place-on-node.js";
import { createAuthenticator } from "./http/orchestrator-authenticator.js";
import { nodeCallToken } from "./auth/node-call-token.js";
import { CredentialResponses } from "./auth/credential-responses.js";
import { catalogHandlers } from "./http/handlers/catalog-handlers.js";
import { AliasService } from "./app/alias-service.js";
import { ModelAliasStore } from "./db/model-alias-store.js";
import { metaHandlers } from "./http/handlers/meta-handlers.js";
import { nodeHandlers } from "./http/handlers/node-handlers.js";
import { openAiHandlers } from "./http/handlers/openai-handlers.js";
import { anthropicHandlers } from "./http/handlers/anthropic-handlers.js";
import { ollamaHandlers } from "./http/handlers/ollama-handlers.js";
import { withApiKeyHeader } from "./http/api-key-header.js";
import { withStoreGrants } from "./http/store-grant-auth.js";
import { withJoinTokens } from "./auth/join-token-auth.js";
import { JoinTokenStore } from "./auth/join-token-store.js";
import { poolHandlers } from "./http/handlers/pool-handlers.js";
import { sessionHandlers } from "./http/handlers/session-handlers.js";
import { taskHandlers } from "./http/handlers/task-handlers.js";
import { createLogger } from "./logging/logger.js";
import { LogRing } from "./logging/log-ring.js";
import { OrchestratorMetrics } from "./metrics/orchestrator-metrics.js";
import { MetricsHistoryRecorder } from "./metrics/history-recorder.js";
import { MetricsHistoryStore } from "./metrics/history-store.js";
import { NodeTelemetry } from "./metrics/node-telemetry.js";
import { metricsHistoryHandlers } from "./http/handlers/metrics-history-handlers.js";
import type { OrchestratorContext } from "./orchestrator-context.js";
import { PoolProber } from "./probes/pool-prober.js";
import { NodeRegistry, WATCH_PULSE_MS } from "./registry/node-registry.js";
import { NodeWatcher } from "./registry/node-watcher.js";
import { nodeGaugeSource } from "./registry/node-gauges.js";
import { workerPoolCommander } from "./workers/worker-pool-commander.js";
import { PoolDesiredState } from "./registry/pool-desired-state.js";
import { PoolReconciler } from "./registry/pool-reconciler.js";
import { writeFailureReporter } from "./db/write-failure-reporter.js";
import { heartbeatRateGate } from "./http/heartbeat-rate-gate.js";

export const ORCHESTRATOR_VERSION = readPackageVersion();

export interface OrchestratorOptions {
  config: OrchestratorConfig;
  /** Where JSON log lines go besides the dashboard's log ring (default stdout). */
  logDestination?: DestinationStream;
  /** Tests shorten these to watch hostile clients being cut; production uses the defaults. */
  serverLimits?: Partial<ServerLimits>;
  authFailureLimits?: Partial<AuthFailureLimits>;
  /** Settings fixed by env or config file (loadOrchestratorConfigWithPins): the dashboard cannot override them. */
  pinned?: readonly PinnedSetting[];
  /**
   * Serve admission and heartbeats on the node:http fast path in front of express (default true;
   * src-node/hot-routes.ts). False: every request goes through express (the equivalence test's reference).
   */
  hotRoutes?: boolean;
  /** Called with the operationId of each request the fast path answered (tests). */
  onHotRoute?: (operationId: string) => void;
}

/**
 * The routes that carry the load (docs/PERFORMANCE.md): admission, node heartbeats, the OpenAI
 * completions every client library sends (0.15–0.3 ms of express routing and body parsing each), and
 * the model list clients poll (the routing floor).
 */
const HOT_ROUTES = ["createTask", "nodeHeartbeat", "openaiChatCompletions", "openaiCompletions", "openaiListModels"] as const;

export interface Orchestrator {
  /** Starts listening; resolves with the base URL (e.g. http://127.0.0.1:8080). */
  listen(): Promise<string>;
  /**
   * The first step of close(), on its own: no new tasks, nothing placed any more, queued tasks kept for the
   * next start (or failed, per shutdown_queued_tasks); running ones go on. Call it before stopping a worker
   * this process supervises, whose leaving would otherwise fail the queued tasks (no node holds the model).
   */
  closeQueue(): void;
  /** Graceful stop: no new tasks, in-flight tasks finish or fail with a terminal event, database closed. */
  close(): Promise<void>;
  readonly url: string | null;
  /** The token API clients use: the configured one, or the generated one and where it is stored. */
  readonly apiToken: ApiToken;
  /** With TLS on, the cluster CA's `sha256:<hex>` fingerprint that join commands carry; null without TLS. */
  readonly caFingerprint: string | null;
  /** A one-time code for the browser dashboard: open `${url}/login?code=…`. */
  issueLoginCode(): string;
  readonly logger: Logger;
  /** A node's status, or undefined when the node is unknown. */
  nodeStatus(nodeId: string): NodeStatus | undefined;
  /** The nodes as GET /v2/nodes lists them. */
  nodes(): NodeInfo[];
  /** The newest audit rows, newest first (who did what; failed authentications aggregated per client and minute). */
  auditTrail(limit: number): AuditEntry[];
  /** Called (at most once per burst is the listener's business) whenever a node changes or is lost; returns the unsubscribe. */
  onNodesChanged(listener: () => void): () => void;
  /** Sizes of the per-task structures held in memory (the memory test checks they stay bounded). */
  taskMemory(): Record<string, number>;
  /** What GET /ready answers: null when a pool can serve, else why not (the start-up banner waits on it). */
  notReadyReason(): string | null;
}

export { StartupRefused };

/**
 * Builds the orchestrator on its data dir, which it takes for itself first (db/data-dir-lock.ts): a
 * second orchestrator on the same dir is refused. A database file that cannot be used (not a
 * database, damaged, another program's, from a newer version) refuses the start with a message
 * naming it (DatabaseUnusable), at build or at listen, instead of a SQLite stack trace.
 */
export function createOrchestrator(options: OrchestratorOptions): Orchestrator {
  const dbPath = join(options.config.data_dir, "orchestrator.db");
  const lock = lockDataDir(options.config.data_dir);
  try {
    return buildOrchestrator(options, dbPath, lock);
  } catch (err) {
    lock.release();
    throw databaseFailure(err, dbPath) ?? err;
  }
}

function buildOrchestrator(options: OrchestratorOptions, dbPath: string, lock: DataDirLock): Orchestrator {
  const { host, port } = splitHostPort(options.config.bind_addr);
  const loopback = isLoopbackHost(host);
  const logRing = new LogRing();
  const logger = createLogger(options.config.log_level, "orchestrator", options.logDestination ?? pino.destination({ dest: 1, sync: false }), logRing);
  const { tokens, apiToken, builtin } = bootstrapApiTokens(options.config, loopback, logger);

  const db = openDatabase(dbPath);
  const runtime = new RuntimeSettings(options.config, new SettingsStore(db), options.pinned);
  const getConfig = runtime.config;
  for (const o of runtime.overriddenByPins()) logger.warn({ setting: o.key, pinned_by: o.source, stored: o.stored }, "a setting stored from the dashboard is overridden (env > config file > dashboard)");
  const config = getConfig();
  const apiKeys = new ApiKeyStore(db);
  const keyUsage = new KeyUsageMeter({ store: new KeyUsageStore(db), limitsOf: (id) => apiKeys.limitsOf(id), logger });
  const joinTokens = new JoinTokenStore(db);
  for (const key of apiKeys.list()) if (key.revoked_at_ms === null) tokens.addDigest(Buffer.from(key.digest_hex, "hex"), key.fp6, key.id, key.scopes);
  const metrics = new OrchestratorMetrics(ORCHESTRATOR_VERSION);
  let closed = false;
  // WAL checkpoints (copy + fsync) on a thread of their own, never inside a request's commit.
  const checkpointer = WalCheckpointer.start(db, dbPath, {
    onCheckpoint: (c) => {
      metrics.checkpointDuration.observe({ mode: c.mode }, c.durationMs);
      metrics.checkpointFrames.inc({ mode: c.mode }, c.copied);
      metrics.walFrames.set(c.log);
    },
    onFallback: (reason) => {
      metrics.checkpointThread.set(0);
      if (!closed) logger.warn({ reason }, "WAL checkpoints run on the main connection's commits (wal_autocheckpoint) again");
    },
  });
  void checkpointer.ready().then((site) => metrics.checkpointThread.set(site === "thread" ? 1 : 0));
  const poolDesired = new PoolDesiredState(new PoolDesiredStore(db));
  const reportWriteFailure = writeFailureReporter(logger);
  const registry = new NodeRegistry(new NodeStore(db, reportWriteFailure), poolDesired);
  const journal = new TaskJournal(db);
  const audit = new AuditLog(db);
  const catalog = new CatalogStore(db);
  const sessions = new SessionStore({ ttlMs: config.session_ttl_ms, maxTurns: config.session_max_turns, tokenBudget: config.session_token_budget });
  const dashboardSessions = new DashboardSessions(new DashboardSessionStore(db));
  // Responses open per API key, so revoking a key ends its streams (auth/credential-responses.ts).
  const keyResponses = new CredentialResponses();
  // Each node is called with the token it registered with (a dashboard-created join key, say); never with
  // the operator's token unless that is what registered it (auth/node-call-token.ts).
  const workerToken = (nodeId: string) => nodeCallToken(nodeId, registry.get(nodeId), apiToken.token);
  // TLS between nodes (docs/SECURITY.md): the cluster CA signs this server's certificate and each joined node's.
  const clusterTls = options.config.tls ? loadClusterTls({ dataDir: options.config.data_dir, hostnames: [host, ...options.config.tls_hostnames], ...(options.config.tls_ca_cert_file !== undefined ? { caCertFile: options.config.tls_ca_cert_file } : {}), ...(options.config.tls_ca_key_file !== undefined ? { caKeyFile: options.config.tls_ca_key_file } : {}) }) : undefined;
  const nodeFetches = new NodeFetches(clusterTls?.caPem);
  const workers = new WorkerClients((nodeId) => {
    const node = registry.get(nodeId);
    const token = workerToken(nodeId);
    if (node === undefined || token === undefined) return undefined;
    const connection = nodeFetches.connection(nodeId, node.address);
    return { address: node.address, token, fetch: connection.fetch, streamAgent: connection.agent };
  });
  let modelsCache: ResolvedModel[] | null = null;
  const aliasStore = new ModelAliasStore(db);
  const modelAliases = () => aliasStore.nameTable();
  // Alias names are reserved in the id rule: a model that arrives with an alias's name is listed as name@….
  const clusterModels = () => (modelsCache ??= listClusterModels([...registry.modelHolders().values()].map((h) => h.model), modelAliases()));
  // Off (the no-op) unless an OTLP endpoint is configured; endpoints are read at start, not live.
  const tracing = createTracing(config, { serviceVersion: ORCHESTRATOR_VERSION, instanceId: `${hostname()}:${port}` });
  if (tracing.enabled) logger.info({ traces_endpoint: tracesEndpoint(config), service_name: config.otel_service_name }, "OpenTelemetry tracing on");
  const tasks = new TaskService({ config: getConfig, registry, sessions, journal, workers, metrics, logger, clusterModels, modelAliases, retiredModels: () => catalog.retiredShas(), tracing, keyUsage });
  const store = new ModelStore(join(options.config.data_dir, "models"), logger);
  let url: string | null = null;
  const publicUrl = () => url ?? `${clusterTls ? "https" : "http"}://${getConfig().bind_addr}`;
  const { staging, catalogViews, catalogFacts, stopSync: stopCatalogSync } = createCatalogAndStaging({
    store,
    publicUrl,
    reportWriteFailure,
    db,
    registry,
    workers,
    workerToken,
    bandwidthLimit: () => (config.staging_bandwidth_limit_bytes_per_s > 0 ? config.staging_bandwidth_limit_bytes_per_s : null),
    records: () => catalog.list(),
    aliases: modelAliases,
    metrics,
    logger,
  });
  const pulls = new HubPulls({ store, hubBaseUrl: () => getConfig().hub_base_url, stallTimeoutMs: () => getConfig().hub_stall_timeout_ms, bandwidthLimit: () => (getConfig().staging_bandwidth_limit_bytes_per_s > 0 ? getConfig().staging_bandwidth_limit_bytes_per_s : null), stage: (sha, request) => staging.stage(sha, request), knownNode: (id) => registry.get(id) !== undefined, records: new HubPullStore(db, reportWriteFailure), logger });
  const prober = new PoolProber(registry, metrics, (nodeId) => workers.forNode(nodeId), logger);
  const watcher = new NodeWatcher(registry, workerToken, logger, (nodeId, address) => nodeFetches.connection(nodeId, address).agent, () => getConfig().worker_stream_idle_ms);
  // A broken task stream makes its node Suspect only when the watch cannot vouch for it (heard within two of its 1 s pings).
  registry.watchVouches = (nodeId) => watcher.vouchesFor(nodeId, WATCH_PULSE_MS);
  const reconciler = new PoolReconciler(registry, poolDesired, workerPoolCommander(workers), metrics, logger);
  const startedAtMs = Date.now();
  const history = { telemetry: new NodeTelemetry(), store: new MetricsHistoryStore(db) };
  const historyRecorder = new MetricsHistoryRecorder(history.store, history.telemetry, metrics.registry, () => getConfig().metrics_history_step_ms, (err) => logger.warn({ err }, "metrics history step not recorded (database write failed)"));

  // Crash-proof admission: acknowledged tasks that never reached a worker are queued again; those
  // that were running end with one recorded failure (their worker's stream died with this process).
  // One transaction: the journal ends the interrupted and abandoned tasks and their keys are charged, or
  // neither happens (a crash in between lost those counts, or repeated them at the next start).
  const { recovery, recounted } = inTransaction(db, () => {
    const atMs = Date.now();
    // Read before the recovery ends the unfinished tasks: what ended (or was admitted) after the last usage write.
    const bounds = keyUsage.recoveryBounds();
    const ended = journal.endedSince(bounds.acceptedFromMs, bounds.finishedFromMs);
    const recovery = journal.recover(atMs, outlivesConnection);
    // An interrupted task never ended in the run that crashed, so its key was never charged: what the journal
    // has of its tokens (progress is written every second) counts now, not nothing (team adversary,
    // 2026-11-30). Requests were counted at admission and tokens at the end, but only in memory in the last 2 s.
    const unfinished = [
      ...recovery.interrupted.map((row) => ({ task_id: row.task_id, owner: journaledOwner(row), accepted_at_ms: row.accepted_at_ms, tokens_in: row.tokens_in, tokens_out: row.tokens_out })),
      ...[...recovery.requeue, ...recovery.abandoned].map((row) => ({ task_id: row.task_id, owner: journaledOwner(row), accepted_at_ms: row.accepted_at_ms, tokens_in: 0, tokens_out: 0 })),
    ];
    return { recovery, recounted: keyUsage.recovered(unfinished, ended, atMs) };
  });
  if (recounted > 0) logger.info({ tasks: recounted }, "requests of tasks admitted just before the restart counted in their keys' usage");
  for (const row of recovery.interrupted) {
    logger.warn({ task_id: row.task_id, node_id: row.node_id, tokens_out: row.tokens_out }, "task interrupted by an orchestrator restart; recorded as failed");
  }
  if (recovery.abandoned.length > 0) logger.warn({ tasks: recovery.abandoned.length }, "queued requests whose client's connection closed with the restart (compatible surfaces, no Idempotency-Key) are recorded as canceled, not run");
  const restored = tasks.restore(recovery.requeue);
  // Nodes known from before the restart re-register on their next heartbeat: new requests wait for them too.
  // A fleet does not come back in node_timeout_ms: 1,000 agents re-register over 10–25 s while this
  // process recovers its journal and answers them (fleet adversary, 2026-11-30: with 4,000 tasks queued
  // at a SIGKILL, 3,478 failed MODEL_NOT_AVAILABLE as the fixed 5 s hold ended with most nodes still on
  // their way). Each known node that registers or comes Online extends the hold by node_timeout_ms, so it
  // ends node_timeout_ms after the last one came back (or after the start, when none does). Each known node
  // extends it at most twice: nothing but the previous run's membership can keep it going.
  const awaited = new Map(registry.list().map((n) => [n.node_id, 2]));
  if (awaited.size > 0) {
    tasks.scheduler.holdForReregistration(getConfig().node_timeout_ms);
    registry.on("event", (nodeId, event) => {
      if (event.kind !== "registered" && event.kind !== "online") return;
      const left = awaited.get(nodeId);
      if (left === undefined) return;
      if (left <= 1) awaited.delete(nodeId);
      else awaited.set(nodeId, left - 1);
      tasks.scheduler.holdForReregistration(getConfig().node_timeout_ms);
    });
  }
  if (restored.length > 0) logger.info({ tasks: restored.length }, "tasks acknowledged before a restart are queued again");

  // A heartbeat that only refreshes liveness changes no model list; gauges are read at scrape time.
  registry.on("changed", (_nodeId, change) => {
    if (change === "state") modelsCache = null;
  });
  metrics.observeNodes(nodeGaugeSource(registry));
  registry.on("event", (nodeId, event) => {
    // A corrupt model copy is an operator's problem to look at, not routine history.
    const level = event.kind === "model_quarantined" ? "warn" : "info";
    logger[level]({ node_id: nodeId, kind: event.kind }, `node ${nodeId}: ${event.message}`);
  });

  const settings = () => runtime.view();
  const feed = new ClusterFeed(registry, tasks, logRing, settings, publicUrl, ORCHESTRATOR_VERSION);
  runtime.onChange((c) => {
    tasks.scheduler.configure();
    sessions.configure({ ttlMs: c.session_ttl_ms, maxTurns: c.session_max_turns, tokenBudget: c.session_token_budget });
    feed.settingsChanged();
  });
  staging.on("job", (job) => feed.stagingJobChanged(job));
  const openApi = buildOrchestratorOpenApi();
  const nodes = new NodeService({
    config: getConfig, registry, prober, metrics, audit, logger, telemetry: history.telemetry,
    // Keys from join tokens are bound to one node id (and reserve it before its first registration).
    boundNodeOf: (credentialId) => (credentialId.startsWith("key:") ? apiKeys.boundNodeOf(credentialId.slice(4)) : null),
    reservedFor: (nodeId) => apiKeys.boundTo(nodeId).map((k) => `key:${k.id}`),
  });
  const context: OrchestratorContext = {
    tasks,
    nodes,
    pools: new PoolService({ registry, prober, audit, clusterModels, modelAliases, load: { queueDepth: () => tasks.queueDepth(), inflightOn: (poolId) => tasks.scheduler.inflightOn(poolId) }, ejection: (poolId) => tasks.scheduler.ejections.status(poolId) }),
    aliases: new AliasService({ store: aliasStore, audit, clusterModels, catalogFacts, changed: () => (modelsCache = null) }),
    store: new StoreService({ store, pulls, audit, useOnNode: (nodeId, path) => useInPlaceOnNode(workers, nodeId, path) }),
    models: new ModelService({ registry, records: catalog, staging, audit, clusterModels, modelAliases, catalogViews, catalogFacts, removeFromStore: async (sha) => (await store.remove(sha)) !== null }),
    keyUsage,
    admin: new AdminService({ apiKeys, keyUsage, joinTokens, nodeOwner: (nodeId) => registry.get(nodeId)?.owner ?? null, tokens, builtinTokens: builtin, dashboardSessions, settings: runtime, logRing, audit, logger, startedAtMs, publicUrl, clusterTls, endResponses: (credentialId) => keyResponses.end(credentialId), revokeNodesOf: (credentialId) => registry.credentialRevoked(credentialId), queuedByCredential: () => tasks.scheduler.queuedByOwner(), cancelTasksOf: (credentialId) => tasks.cancelOwnedBy(credentialId) }),
    meta: new MetaService({ version: ORCHESTRATOR_VERSION, startedAtMs, metrics, openApiDocument: () => openApi, onlineNodes: () => nodes.online(), clusterModels, history, config: getConfig }),
    // The self-test calls this server as a client would, with its own admin token (over TLS trusting the cluster CA).
    selftest: new SelftestService({ registry, workers, self: new SelfClient(() => url, apiToken.token, clusterTls ? clusterFetch(clusterTls.caPem, { role: "orchestrator" }) : globalThis.fetch), config: getConfig, version: ORCHESTRATOR_VERSION, audit, logger }),
    feed,
    audit,
    logger,
    config: getConfig,
  };

  // Failed authentications cost bounded disk: aggregated audit rows, rate-limited log lines.
  const authFailureAudit = new AuthFailureAudit(audit, undefined, undefined, (err) => logger.warn({ err }, "failed authentications not written to the audit trail (database write failed); kept for the next flush"));
  const authFailureLog = new LogRateLimiter();
  const onAuthFailure = (req: Request, presented: string | null, code: "MISSING_TOKEN" | "BAD_TOKEN") => {
    const client = clientAddress(req);
    const target = `${req.method} ${truncateField(req.path)}`;
    authFailureAudit.record(client, code, target, presented);
    // Per address and presented token: a new bad token is still seen; the total cap bounds the rest.
    const decision = authFailureLog.decide(`${client}|${presented ?? code}`);
    if (decision.log) logger.warn({ client, path: truncateField(req.path), method: req.method, code, presented_fp6: presented, suppressed_since_last: decision.suppressed, event: "auth_failed" }, "authentication failed");
    const heartbeat = /^\/v2\/nodes\/([^/]+)\/heartbeat$/.exec(req.path);
    // Known nodes only: a label per made-up id would let unauthenticated requests grow the metrics.
    if (heartbeat && registry.get(heartbeat[1] as string) !== undefined) metrics.nodeHeartbeats.inc({ node_id: heartbeat[1] as string, outcome: "unauthorized" });
  };
  // Anthropic clients present the token as x-api-key; everyone else as a bearer token or the dashboard cookie.
  const authenticator = keyResponses.track(withJoinTokens(withStoreGrants(withApiKeyHeader(createAuthenticator(tokens, dashboardSessions, onAuthFailure), tokens, (req, presented) => onAuthFailure(req, presented, "BAD_TOKEN")), () => apiToken.token), joinTokens, (req, presented) => onAuthFailure(req, presented, "BAD_TOKEN")));

  const dashboardDir = config.dashboard_dir ?? defaultDashboardDir();
  // One allowance for the guard and the CORS policy, so an origin the guard lets in always gets CORS headers.
  const origins = { allowedOrigins: () => config.allowed_origins, allowLocalhost: () => config.cors_allow_localhost };
  const listener = buildListener({
    hotRoutes: options.hotRoutes === false ? [] : HOT_ROUTES,
    ...(options.onHotRoute !== undefined ? { onHotRoute: options.onHotRoute } : {}),
    tracing,
    routes: ORCHESTRATOR_ROUTES,
    handlers: {
      ...metaHandlers(context),
      ...nodeHandlers(context),
      ...taskHandlers(context),
      ...sessionHandlers(context),
      ...poolHandlers(context),
      ...catalogHandlers(context),
      ...stagingHandlers(context),
      ...storeHandlers(context),
      ...openAiHandlers(context),
      ...anthropicHandlers(context),
      ...ollamaHandlers(context),
      ...adminHandlers(context),
      ...metricsHistoryHandlers(context),
      ...selftestHandlers(context),
    },
    authenticator,
    logger,
    serverName: "orchestrator",
    guards: [repeatedHeaderGuard(), hostOriginGuard({ loopbackBind: loopback, ...origins }), corsPolicy(origins)],
    isPublic: (route) => route.path === "/metrics" && config.metrics_public,
    requiredScopes,
    // A node beating faster than its interval allows is answered 429 before its body is read or parsed.
    beforeBody: { nodeHeartbeat: heartbeatRateGate(nodes) },
    authFailures: new AuthFailureLimiter({ ...DEFAULT_AUTH_FAILURE_LIMITS, ...options.authFailureLimits }),
    extra: (app) => mountDashboard(app, dashboardDir, dashboardSessions, logger),
  });

  const serverLimits: ServerLimits = { ...ORCHESTRATOR_SERVER_LIMITS, ...options.serverLimits };
  const server: Server = createLimitedServer(listener, serverLimits, clusterTls && { key: clusterTls.serverKey, cert: clusterTls.serverCert });
  const timers: NodeJS.Timeout[] = [];

  return {
    get url() {
      return url;
    },
    apiToken,
    caFingerprint: clusterTls?.caFingerprint ?? null,
    issueLoginCode: () => dashboardSessions.issueCode(),
    logger,
    nodeStatus: (nodeId) => registry.get(nodeId)?.status,
    nodes: () => nodes.list(),
    auditTrail: (limit) => audit.recent(limit),
    taskMemory: () => ({ ...tasks.memoryStats(), ...feed.memoryStats(), sessions: sessions.size }),
    notReadyReason: () => context.meta.readiness().reason,
    onNodesChanged(listener) {
      registry.on("changed", listener);
      registry.on("lost", listener);
      return () => {
        registry.off("changed", listener);
        registry.off("lost", listener);
      };
    },
    async listen() {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen({ port, host, backlog: serverLimits.listenBacklog }, () => resolve());
      });
      const addr = server.address() as AddressInfo;
      url = `${clusterTls ? "https" : "http"}://${addr.family === "IPv6" ? `[${addr.address}]` : addr.address}:${addr.port}`;
      const SWEEP_INTERVAL_MS = 250;
      const sweep = setInterval(() => {
        registry.sweep({ suspectAfterMs: config.node_suspect_ms, offlineAfterMs: config.node_timeout_ms, baseIntervalMs: config.heartbeat_interval_ms, sweepIntervalMs: SWEEP_INTERVAL_MS });
        // Deadlines pass and nodes change state with time: reconsider every queued task each tick.
        tasks.scheduler.reconsiderAll();
      }, SWEEP_INTERVAL_MS);
      sweep.unref();
      timers.push(sweep);
      prober.start({ pool_probe_interval_ms: config.pool_probe_interval_ms, pool_probe_max_per_s: config.pool_probe_max_per_s });
      feed.start();
      staging.start();
      pulls.resumeUnfinished();
      historyRecorder.start();
      applyJournalRetention(journal, getConfig().task_journal_retention_days, Date.now(), logger);
      const retention = setInterval(() => applyJournalRetention(journal, getConfig().task_journal_retention_days, Date.now(), logger), JOURNAL_RETENTION_EVERY_MS);
      retention.unref();
      timers.push(retention);
      logger.info({ url, token_fp6: apiToken.fp6, data_dir: config.data_dir }, "orchestrator listening");
      return url;
    },
    closeQueue() {
      tasks.closeQueue();
    },
    async close() {
      for (const t of timers) clearInterval(t);
      prober.stop();
      feed.stop();
      historyRecorder.stop();
      watcher.close();
      reconciler.close();
      await pulls.close();
      await staging.close();
      stopCatalogSync();
      authFailureAudit.close();
      await context.selftest.close();
      await tasks.shutdown(config.shutdown_grace_ms);
      keyUsage.close();
      server.closeIdleConnections();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        setTimeout(() => {
          server.closeAllConnections();
          resolve();
        }, 2000).unref();
      });
      closed = true;
      await checkpointer.close();
      db.close();
      lock.release();
      await tracing.shutdown();
      logger.info("orchestrator stopped");
      logger.flush();
    },
  };
}

