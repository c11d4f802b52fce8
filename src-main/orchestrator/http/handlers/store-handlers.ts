import type { UseDiscoveredRequest } from "../../../../src-shared/catalog/discovered-model.js";
import type { RouteHandler } from "../../../../src-node/route-context.js";
import type { HubPullRequest } from "../../../../src-shared/catalog/hub-pull.js";
import type { ImportModelRequest } from "../../../../src-shared/catalog/store-model.js";
import type { OrchestratorContext } from "../../orchestrator-context.js";
import { OrchError } from "../../../../src-shared/errors/orch-error.js";
import { STORE_GRANT_CREDENTIAL } from "../store-grant-auth.js";

/** The orchestrator's own model store: import from a host path, streamed upload, hub pulls, discovery, and content for staging targets. */
export function storeHandlers(ctx: OrchestratorContext): Record<string, RouteHandler> {
  return {
    importModelFromPath: async ({ body, res, identity }) => {
      res.status(201).json(await ctx.store.importFromPath(body as ImportModelRequest, identity.label));
    },
    uploadModel: async ({ req, query, res, identity }) => {
      const length = req.headers["content-length"];
      const announced = length !== undefined && /^\d{1,20}$/.test(length) ? Number(length) : null;
      res.status(201).json(await ctx.store.upload(req, (query as { file_name: string }).file_name, identity.label, announced));
    },
    pullModel: ({ body, res, identity }) => {
      res.status(202).json(ctx.store.startPull(body as HubPullRequest, identity.label));
    },
    listPulls: ({ res }) => {
      res.json({ pulls: ctx.store.pulls() });
    },
    getPull: ({ params, res }) => {
      res.json(ctx.store.pull(params.id as string));
    },
    cancelPull: async ({ params, res }) => {
      res.json(await ctx.store.cancelPull(params.id as string));
    },
    listDiscoveredModels: async ({ res }) => {
      res.json(await ctx.store.discovered());
    },
    useDiscoveredModel: async ({ body, res, identity }) => {
      const { path, node_id } = body as UseDiscoveredRequest;
      if (node_id !== undefined) res.status(202).json(await ctx.store.useDiscoveredOnNode(path, node_id, identity.label));
      else res.status(201).json(await ctx.store.useDiscovered(path, identity.label));
    },
    listStoreModels: ({ res }) => {
      res.json({ models: ctx.store.models() });
    },
    getStoreModelContent: ({ req, res, params, identity }) => {
      // The route admits `worker` for the grant's sake; a worker key itself (any node's) reads nothing
      // without a grant for this model. It used to read every model in the store.
      if (identity.credentialId !== STORE_GRANT_CREDENTIAL && !identity.scopes.includes("admin")) {
        throw new OrchError("FORBIDDEN_SCOPE", "a store model's content needs a staging grant for that model (the orchestrator issues one when it stages the model to a node); a worker key alone is not enough");
      }
      return ctx.store.serveContent(req, res, params.sha256 as string);
    },
  };
}
