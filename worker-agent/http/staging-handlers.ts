import type { RouteHandlers } from "../../src-node/route-context.js";
import type { ModelPullRequest } from "../../src-shared/staging/model-pull.js";
import type { ModelCatalog } from "../catalog/model-catalog.js";
import type { Logger } from "../logging/logger.js";
import type { WorkerMetrics } from "../metrics/worker-metrics.js";
import type { PoolRegistry } from "../pools/pool-registry.js";
import { serveModelContent } from "../staging/model-content.js";
import type { ModelPulls } from "../staging/model-pulls.js";
import { removeModel } from "../staging/model-removal.js";

export interface StagingHandlerDeps {
  catalog: ModelCatalog;
  pools: PoolRegistry;
  pulls: ModelPulls;
  metrics: WorkerMetrics;
  log: Logger;
}

/** Staging routes of WORKER_ROUTES: serve a model to a peer, pull one from a peer, delete one. */
export function stagingHandlers(deps: StagingHandlerDeps): RouteHandlers {
  return {
    getModelContent: ({ req, res, params }) => serveModelContent(req, res, params.sha256 ?? "", deps.catalog, deps.metrics, deps.log),
    startModelPull: async ({ res, params, body }) => {
      res.status(202).json(await deps.pulls.start(params.sha256 ?? "", body as ModelPullRequest));
    },
    getModelPull: ({ res, params }) => {
      res.json(deps.pulls.status(params.sha256 ?? ""));
    },
    cancelModelPull: async ({ res, params }) => {
      await deps.pulls.cancel(params.sha256 ?? "");
      res.status(204).end();
    },
    deleteModel: async ({ res, params }) => {
      await removeModel(params.sha256 ?? "", deps);
      res.status(204).end();
    },
  };
}
