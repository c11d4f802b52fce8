import type { RouteHandler } from "../../../../src-node/route-context.js";
import { OrchError } from "../../../../src-shared/errors/orch-error.js";
import type { StageModelRequest, StagingJobListQuery } from "../../../../src-shared/staging/staging-job.js";
import { findCatalogView } from "../../catalog/catalog-views.js";
import type { OrchestratorContext } from "../../orchestrator-context.js";

/** Staging routes: stage a model to nodes, remove it from one, list and cancel jobs. */
export function stagingHandlers(ctx: OrchestratorContext): Record<string, RouteHandler> {
  const shaOf = (id: string): string => {
    const sha = findCatalogView(ctx.catalogViews(), id)?.sha256 ?? null;
    if (sha === null) throw new OrchError("MODEL_NOT_FOUND", `no model "${id}" is known by sha256; GET /v2/catalog/models lists them`);
    return sha;
  };
  const cancel: RouteHandler = async ({ params, res, identity }) => {
    const job = await ctx.staging.cancel(params.id as string);
    ctx.audit.record({ at_ms: Date.now(), identity: identity.label, action: "staging_job_canceled", target: job.job_id, outcome: "success", details: { sha256: job.sha256, node_id: job.target_node_id } });
    res.json(job);
  };

  return {
    stageCatalogModel: ({ params, body, res, identity }) => {
      const request = body as StageModelRequest;
      const sha256 = shaOf(params.id as string);
      const response = ctx.staging.stage(sha256, request);
      ctx.audit.record({ at_ms: Date.now(), identity: identity.label, action: "model_staged", target: sha256, outcome: "success", details: { jobs: response.jobs.map((j) => j.job_id), already_present: response.already_present } });
      res.status(202).json(response);
    },

    removeModelFromNode: async ({ params, res, identity }) => {
      const sha256 = shaOf(params.id as string);
      await ctx.staging.removeFromNode(sha256, params.node_id as string);
      ctx.audit.record({ at_ms: Date.now(), identity: identity.label, action: "model_removed_from_node", target: sha256, outcome: "success", details: { node_id: params.node_id } });
      res.status(204).end();
    },

    listStagingJobs: ({ query, res }) => {
      res.json({ jobs: ctx.staging.list(query as StagingJobListQuery) });
    },

    getStagingJob: ({ params, res }) => {
      res.json(ctx.staging.get(params.id as string));
    },

    deleteStagingJob: cancel,
    cancelStagingJob: cancel,
  };
}
