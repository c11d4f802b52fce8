import type { Logger } from "pino";
import type { CatalogEntry } from "../../../src-shared/catalog/catalog-model.js";
import type { CatalogModelView } from "../../../src-shared/catalog/catalog-view.js";
import { syncCatalogFromRegistry } from "../catalog/catalog-sync.js";
import { buildCatalogViews } from "../catalog/catalog-views.js";
import type { Db } from "../db/database.js";
import { KnownModelStore } from "../db/known-model-store.js";
import { StagingJobStore } from "../db/staging-job-store.js";
import type { OrchestratorMetrics } from "../metrics/orchestrator-metrics.js";
import type { NodeRegistry } from "../registry/node-registry.js";
import type { WorkerClients } from "../workers/worker-clients.js";
import type { ModelStore } from "../store/model-store.js";
import { StagingService } from "./staging-service.js";
import type { WriteFailureReporter } from "../db/write-failure-reporter.js";

export interface CatalogAndStaging {
  staging: StagingService;
  catalogViews: () => CatalogModelView[];
  /** The same views without per-node placements (names, sizes, GGUF facts): cheap at 1,000 nodes. */
  catalogFacts: () => CatalogModelView[];
  /** Stops following the registry (the service itself closes with `staging.close()`). */
  stopSync: () => void;
}

/** Wires the catalog by sha256 (fed from the registry) and the staging service on one database. */
export function createCatalogAndStaging(deps: {
  db: Db;
  registry: NodeRegistry;
  workers: WorkerClients;
  workerToken: (nodeId: string) => string | undefined;
  bandwidthLimit: () => number | null;
  records: () => CatalogEntry[];
  metrics: OrchestratorMetrics;
  logger: Logger;
  /** The orchestrator's own store and the base URL targets reach it at. */
  store: ModelStore;
  publicUrl: () => string;
  /** Writes that go on from memory when the database refuses them (a full disk). */
  reportWriteFailure: WriteFailureReporter;
  /** Operator alias names: a model with one of them is named name@… in the catalog too, as /v1/models lists it. */
  aliases?: () => ReadonlyMap<string, string>;
}): CatalogAndStaging {
  const models = new KnownModelStore(deps.db, deps.reportWriteFailure);
  const stopSync = syncCatalogFromRegistry(deps.registry, models);
  const store = { get: (sha: string) => deps.store.get(sha), address: deps.publicUrl };
  const staging = new StagingService({ ...deps, jobs: new StagingJobStore(deps.db, deps.reportWriteFailure), models, store });
  const catalogViews = () =>
    buildCatalogViews({ known: models.list(), placements: models.placements(), jobs: staging.list({ limit: 1000 }), records: deps.records(), nodeIds: deps.registry.list().map((n) => n.node_id), store: deps.store.list(), aliases: deps.aliases?.() });
  const catalogFacts = () => buildCatalogViews({ known: models.list(), placements: [], jobs: [], records: deps.records(), nodeIds: [], store: deps.store.list(), aliases: deps.aliases?.() });
  return { staging, catalogViews, catalogFacts, stopSync };
}
