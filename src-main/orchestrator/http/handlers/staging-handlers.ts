import type { RouteHandler } from "../../../../src-node/route-context.js";
import type { StageModelRequest, StagingJobListQuery } from "../../../../src-shared/staging/staging-job.js";
import type { OrchestratorContext } from "../../orchestrator-context.js";

/** Staging routes: stage a model to nodes, remove it from one, list and cancel jobs. */
export function stagingHandlers(ctx: OrchestratorContext): Record<string, RouteHandler> {
  const cancel: RouteHandler = async ({ params, res, identity }) => {
    res.json(await ctx.models.cancelJob(params.id as string, identity.label));
  };
  return {
    stageCatalogModel: ({ params, body, res, identity }) => {
      res.status(202).json(ctx.models.stage(params.id as string, body as StageModelRequest, identity.label));
    },
    removeModelFromNode: async ({ params, res, identity }) => {
      await ctx.models.removeFromNode(params.id as string, params.node_id as string, identity.label);
      res.status(204).end();
    },
    listStagingJobs: ({ query, res }) => {
      res.json({ jobs: ctx.models.jobs(query as StagingJobListQuery) });
    },
    getStagingJob: ({ params, res }) => {
      res.json(ctx.models.job(params.id as string));
    },
    deleteStagingJob: cancel,
    cancelStagingJob: cancel,
  };
}
