import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import express from "express";
import { pino, type DestinationStream, type Logger } from "pino";
import { isLoopbackHost, splitHostPort } from "../../src-shared/config/host-port.js";
import type { OrchestratorConfig } from "../../src-shared/config/orchestrator-config.js";
import { buildOrchestratorOpenApi } from "../../src-shared/contract/documents.js";
import { buildContentSecurityPolicy } from "../../src-shared/dashboard/csp.js";
import { ORCHESTRATOR_ROUTES } from "../../src-shared/contract/orchestrator-routes.js";
import { buildApp } from "../../src-node/build-app.js";
import { hostOriginGuard } from "../../src-node/host-origin-guard.js";
import { applyServerTimeouts } from "../../src-node/server-timeouts.js";
import { SessionStore } from "./scheduling/session-store.js";
import { DashboardSessions, sessionCookieName } from "./auth/dashboard-sessions.js";
import { fp6 } from "./auth/bearer.js";
import { loadOrCreateGeneratedToken } from "./auth/generated-token.js";
import { TokenSet } from "./auth/token-set.js";
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
import { adminHandlers } from "./http/handlers/admin-handlers.js";
import { NodeStore } from "./db/node-store.js";
import { TaskJournal } from "./db/task-journal.js";
import { TaskService } from "./tasks/task-service.js";
import { WorkerClients } from "./workers/worker-clients.js";
import { createAuthenticator } from "./http/orchestrator-authenticator.js";
import { catalogHandlers } from "./http/handlers/catalog-handlers.js";
import { metaHandlers } from "./http/handlers/meta-handlers.js";
import { nodeHandlers } from "./http/handlers/node-handlers.js";
import { openAiHandlers } from "./http/handlers/openai-handlers.js";
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
  readonly apiToken: { token: string; source: "config" | "generated"; path: string | null; fp6: string };
  /** A one-time code for the browser dashboard: open `${url}/login?code=…`. */
  issueLoginCode(): string;
  readonly context: OrchestratorContext;
}

/** Thrown when the configuration is unsafe to start with (e.g. non-loopback bind without a token). */
export class StartupRefused extends Error {}

export function createOrchestrator(options: OrchestratorOptions): Orchestrator {
  let config = options.config;
  const { host, port } = splitHostPort(config.bind_addr);
  const loopback = isLoopbackHost(host);
  const logRing = new LogRing();
  const logger = createLogger(config.log_level, "orchestrator", options.logDestination ?? pino.destination({ dest: 1, sync: false }), logRing);

  const tokens = new TokenSet();
  for (const t of config.api_tokens) tokens.addToken(t, "config");
  let apiToken: Orchestrator["apiToken"];
  const firstConfigured = config.api_tokens[0];
  if (firstConfigured !== undefined) {
    apiToken = { token: firstConfigured, source: "config", path: null, fp6: fp6(firstConfigured) };
  } else if (!loopback) {
    throw new StartupRefused(`refusing to bind ${config.bind_addr} (not loopback) without LLORCH_API_TOKEN: set a token of at least 32 characters (e.g. openssl rand -hex 32) or bind 127.0.0.1`);
  } else {
    const generated = loadOrCreateGeneratedToken(config.data_dir);
    tokens.addToken(generated.token, "generated");
    apiToken = { token: generated.token, source: "generated", path: generated.path, fp6: fp6(generated.token) };
    logger.info({ path: generated.path, fp6: apiToken.fp6, created: generated.created }, "no LLORCH_API_TOKEN configured: using the generated token stored in the data dir");
  }

  const db = openDatabase(join(config.data_dir, "orchestrator.db"));
  const settingsStore = new SettingsStore(db);
  const persisted = settingsStore.load();
  config = { ...config, ...persisted };
  const apiKeys = new ApiKeyStore(db);
  for (const key of apiKeys.list()) if (key.revoked_at_ms === null) tokens.addDigest(Buffer.from(key.digest_hex, "hex"), key.fp6, key.id);
  const metrics = new OrchestratorMetrics(ORCHESTRATOR_VERSION);
  const registry = new NodeRegistry(new NodeStore(db));
  const journal = new TaskJournal(db);
  const audit = new AuditLog(db);
  const catalog = new CatalogStore(db);
  const sessions = new SessionStore({ ttlMs: config.session_ttl_ms, maxTurns: config.session_max_turns, tokenBudget: config.session_token_budget });
  const dashboardSessions = new DashboardSessions(new DashboardSessionStore(db));
  // Each node is called with the token it registered with (a dashboard-created join key, say).
  const workerToken = (nodeId: string) => registry.get(nodeId)?.credential ?? apiToken.token;
  const getConfig = () => config;
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
  const startedAtMs = Date.now();

  for (const row of journal.failUnfinished(Date.now())) {
    logger.warn({ task_id: row.task_id }, "task interrupted by an orchestrator restart; recorded as failed");
  }

  registry.on("changed", () => {
    modelsCache = null;
    updateAvailabilityGauges();
  });
  registry.on("event", (nodeId, event) => logger.info({ node_id: nodeId, kind: event.kind }, `node ${nodeId}: ${event.message}`));

  function updateAvailabilityGauges(): void {
    metrics.nodesOnline.set(registry.countByStatus("Online"));
    const seen = new Set<string>();
    for (const node of registry.list()) {
      for (const pool of node.pools) {
        seen.add(pool.pool_id);
        metrics.poolsAvailable.set({ pool_id: pool.pool_id }, node.status === "Online" && !node.drained && pool.ready && !pool.draining ? 1 : 0);
      }
      for (const poolId of node.pool_ids) if (!seen.has(poolId)) metrics.poolsAvailable.set({ pool_id: poolId }, 0);
    }
  }
  updateAvailabilityGauges();

  const profile = (): "home" | "cloud" => (config.cloud_profile ? "cloud" : "home");
  const settings = () => ({
    placement_strategy: config.placement_strategy,
    admission_capacity: config.admission_capacity,
    admission_policy: config.admission_policy,
    session_token_budget: config.session_token_budget,
    staging_bandwidth_limit_bytes_per_s: config.staging_bandwidth_limit_bytes_per_s,
    profile: profile(),
    bind_addr: config.bind_addr,
  });
  let url: string | null = null;
  const publicUrl = () => url ?? `http://${config.bind_addr}`;
  const feed = new ClusterFeed(registry, tasks, logRing, settings, publicUrl, ORCHESTRATOR_VERSION);
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
    builtinTokens: [
      ...config.api_tokens.map((t) => ({ fp6: fp6(t), source: "config" as const })),
      ...(apiToken.source === "generated" ? [{ fp6: apiToken.fp6, source: "generated" as const }] : []),
    ],
    settings,
    applySettings: (update) => {
      config = { ...config, ...update };
      tasks.scheduler.configure();
      sessions.configure({ ttlMs: config.session_ttl_ms, maxTurns: config.session_max_turns, tokenBudget: config.session_token_budget });
      settingsStore.save({ ...settingsStore.load(), ...update });
      feed.settingsChanged();
      return settings();
    },
    publicUrl,
    clusterModels,
    catalogViews,
    staging,
    openApiDocument: () => openApi,
  };

  const authenticator = createAuthenticator(tokens, dashboardSessions, (req, presented, code) => {
    logger.warn({ path: req.path, method: req.method, code, presented_fp6: presented, event: "auth_failed" }, "authentication failed");
    audit.record({ at_ms: Date.now(), identity: presented ? `token:${presented}` : "anonymous", action: "auth_failed", target: `${req.method} ${req.path}`, outcome: "denied", details: { code } });
    const heartbeat = /^\/v2\/nodes\/([^/]+)\/heartbeat$/.exec(req.path);
    if (heartbeat) metrics.nodeHeartbeats.inc({ node_id: heartbeat[1] as string, outcome: "unauthorized" });
  });

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
        registry.sweep({ suspectAfterMs: config.node_suspect_ms, offlineAfterMs: config.node_timeout_ms });
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

/** The built dashboard beside the compiled code: dist/renderer. */
function defaultDashboardDir(): string {
  return join(dirname(fileURLToPath(import.meta.url)), "..", "..", "renderer");
}

/** Serves the built dashboard at / and the one-time-code login at /login. */
function mountDashboard(app: express.Express, dir: string, sessions: DashboardSessions, logger: Logger): void {
  app.get("/login", (req, res) => {
    const code = typeof req.query.code === "string" ? req.query.code : "";
    const session = code === "" ? null : sessions.redeem(code);
    if (session === null) {
      res.status(401).type("text/plain").send("This login link is invalid or was already used. Ask the orchestrator for a new one (it prints a fresh link at start).\n");
      return;
    }
    res.setHeader("Set-Cookie", `${sessionCookieName(req.socket.localPort ?? 0)}=${session}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${DashboardSessions.cookieMaxAgeSeconds}`);
    res.redirect(302, "/");
  });
  if (!existsSync(join(dir, "index.html"))) {
    logger.warn({ dir }, "dashboard not built (npm run build); / will say so");
    app.get("/", (_req, res) => {
      res.type("text/plain").send("llama-orch orchestrator is running. The dashboard is not built here: run `npm run build`.\n");
    });
    return;
  }
  const csp = buildContentSecurityPolicy();
  app.use(
    express.static(dir, {
      index: "index.html",
      maxAge: "1h",
      setHeaders: (res, path) => {
        // Sent as headers too: Chromium ignores frame-ancestors in a <meta> policy.
        res.setHeader("Content-Security-Policy", csp);
        res.setHeader("X-Content-Type-Options", "nosniff");
        res.setHeader("X-Frame-Options", "DENY");
        res.setHeader("Referrer-Policy", "no-referrer");
        if (path.endsWith(".html")) res.setHeader("Cache-Control", "no-cache");
      },
    }),
  );
}

function readPackageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, "package.json");
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, "utf8")) as { name?: string; version?: string };
      if (pkg.name === "llama-orch" && pkg.version) return pkg.version;
    }
    dir = dirname(dir);
  }
  return "0.0.0";
}
