import type { RouteHandlers } from "../../src-node/route-context.js";
import type { ModelPullRequest } from "../../src-shared/staging/model-pull.js";
import type { InPlaceModelRequest } from "../../src-shared/worker-api/in-place-model.js";
import type { InPlaceFiles } from "../catalog/in-place-files.js";
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
  inPlace: InPlaceFiles;
  metrics: WorkerMetrics;
  log: Logger;
}

/** Staging routes of WORKER_ROUTES: serve a model to a peer, pull one from a peer, serve one in place, delete one. */
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
    useModelInPlace: async ({ res, body }) => {
      const added = await deps.inPlace.add((body as InPlaceModelRequest).path);
      deps.log.info({ path: added.path, size_bytes: added.size_bytes }, "model file served in place (not copied)");
      // Hashing a large file takes a while: the next heartbeat after the scan reports it.
      void deps.catalog.scan().catch((error: unknown) => deps.log.warn({ err: error }, "model scan failed"));
      res.status(202).json(added);
    },
    deleteModel: async ({ res, params }) => {
      await removeModel(params.sha256 ?? "", deps);
      res.status(204).end();
    },
  };
}
