import type { Logger } from "pino";
import type { OrchestratorConfig } from "../../src-shared/config/orchestrator-config.js";
import type { AdminService } from "./app/admin-service.js";
import type { AliasService } from "./app/alias-service.js";
import type { MetaService } from "./app/meta-service.js";
import type { ModelService } from "./app/model-service.js";
import type { NodeService } from "./app/node-service.js";
import type { PoolService } from "./app/pool-service.js";
import type { SelftestService } from "./app/selftest-service.js";
import type { StoreService } from "./app/store-service.js";
import type { ClusterFeed } from "./dashboard/cluster-feed.js";
import type { AuditLog } from "./db/audit-log.js";
import type { TaskService } from "./tasks/task-service.js";

/**
 * What route handlers get: one facade per area (each handler calls its area's facade and never
 * reaches into another object's fields), the dashboard feed, the audit trail and the logger.
 */
import type { KeyUsageMeter } from "./auth/key-usage-meter.js";

export interface OrchestratorContext {
  tasks: TaskService;
  nodes: NodeService;
  pools: PoolService;
  models: ModelService;
  /** Operator-defined model aliases (the resolver reads them through models.aliasTable). */
  aliases: AliasService;
  store: StoreService;
  admin: AdminService;
  /** Per-key limits and usage (the compatible surfaces report a limited key's standing in x-ratelimit-*). */
  keyUsage: KeyUsageMeter;
  meta: MetaService;
  selftest: SelftestService;
  feed: ClusterFeed;
  audit: AuditLog;
  logger: Logger;
  /** The configuration in force (stream heartbeats and dead-peer limits read it per stream). */
  config: () => OrchestratorConfig;
}
