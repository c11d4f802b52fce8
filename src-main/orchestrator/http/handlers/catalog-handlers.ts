import type { CatalogModelV2, CatalogStateRequest } from "../../../../src-shared/catalog/catalog-model.js";
import type { CreateModelAliasRequest } from "../../../../src-shared/models/model-alias.js";
import type { OrchestratorContext } from "../../orchestrator-context.js";
import type { RouteHandler } from "../../../../src-node/route-context.js";

/** Catalog routes: availability, the catalog by sha256, and the operator's catalog records. */
export function catalogHandlers(ctx: OrchestratorContext): Record<string, RouteHandler> {
  return {
    getCatalogAvailability: ({ res }) => {
      res.json(ctx.models.availability());
    },
    listCatalogModels: ({ res }) => {
      res.json({ models: ctx.models.views() });
    },
    createCatalogModel: ({ body, res, identity }) => {
      res.status(201).json(ctx.models.createRecord(body as CatalogModelV2, identity.label));
    },
    getCatalogModel: ({ params, res }) => {
      res.json(ctx.models.view(params.id as string));
    },
    deleteCatalogModel: async ({ params, res, identity }) => {
      await ctx.models.deleteRecord(params.id as string, identity.label);
      res.status(204).end();
    },
    verifyCatalogModel: ({ params, res }) => {
      res.status(202).json(ctx.models.verifyRecord(params.id as string));
    },
    setModelAlias: ({ body, res, identity }) => {
      const req = body as CreateModelAliasRequest;
      const { created, alias } = ctx.aliases.set(req.name, req.target, identity.label);
      res.status(created ? 201 : 200).json(alias);
    },
    listModelAliases: ({ res }) => {
      res.json(ctx.aliases.list());
    },
    deleteModelAlias: ({ params, res, identity }) => {
      res.json(ctx.aliases.delete(params.name as string, identity.label));
    },
    setCatalogModelState: ({ params, body, res, identity }) => {
      res.status(202).json(ctx.models.setLifecycle(params.id as string, (body as CatalogStateRequest).state, identity.label));
    },
  };
}
