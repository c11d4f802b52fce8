import type { RouteHandler } from "../../../../src-node/route-context.js";
import type { HubPullRequest } from "../../../../src-shared/catalog/hub-pull.js";
import type { ImportModelRequest } from "../../../../src-shared/catalog/store-model.js";
import { homedir } from "node:os";
import { useInPlace } from "../../store/in-place.js";
import { discoverModels } from "../../store/model-discovery.js";
import type { OrchestratorContext } from "../../orchestrator-context.js";
import { importFromPath, importUpload } from "../../store/model-import.js";
import { serveStoreContent } from "../../store/store-content.js";

/** The orchestrator's own model store: import from a host path, streamed upload, list, and serve to staging targets. */
export function storeHandlers(ctx: OrchestratorContext): Record<string, RouteHandler> {
  const discovered = async () => {
    const found = await discoverModels(homedir(), process.env);
    const inStore = new Set(ctx.store.list().flatMap((m) => [m.sha256, m.source ?? ""]));
    return { models: found.models.map((m) => ({ ...m, in_store: inStore.has(m.path) || (m.sha256 !== null && inStore.has(m.sha256)) })), searched: found.searched };
  };
  return {
    importModelFromPath: async ({ body, res, identity }) => {
      const req = body as ImportModelRequest;
      const model = await importFromPath(ctx.store, req.path, req.file_name);
      ctx.audit.record({ at_ms: Date.now(), identity: identity.label, action: "model_imported", target: model.sha256, outcome: "success", details: { path: req.path, file_name: model.file_name } });
      res.status(201).json(model);
    },

    uploadModel: async ({ req, query, res, identity }) => {
      const model = await importUpload(ctx.store, req, (query as { file_name: string }).file_name);
      ctx.audit.record({ at_ms: Date.now(), identity: identity.label, action: "model_uploaded", target: model.sha256, outcome: "success", details: { file_name: model.file_name, size_bytes: model.size_bytes } });
      res.status(201).json(model);
    },

    pullModel: ({ body, res, identity }) => {
      const req = body as HubPullRequest;
      const pull = ctx.pulls.start(req);
      ctx.audit.record({ at_ms: Date.now(), identity: identity.label, action: "model_pull_started", target: pull.url, outcome: "success", details: { pull_id: pull.pull_id, ref: req.ref } });
      res.status(202).json(pull);
    },

    listPulls: ({ res }) => {
      res.json({ pulls: ctx.pulls.list() });
    },

    getPull: ({ params, res }) => {
      res.json(ctx.pulls.get(params.id as string));
    },

    cancelPull: async ({ params, res }) => {
      res.json(await ctx.pulls.cancel(params.id as string));
    },

    listDiscoveredModels: async ({ res }) => {
      res.json(await discovered());
    },

    useDiscoveredModel: async ({ body, res, identity }) => {
      const path = (body as { path: string }).path;
      const model = await useInPlace(ctx.store, path, (await discovered()).models);
      ctx.audit.record({ at_ms: Date.now(), identity: identity.label, action: "model_used_in_place", target: model.sha256, outcome: "success", details: { path } });
      res.status(201).json(model);
    },

    listStoreModels: ({ res }) => {
      res.json({ models: ctx.store.list() });
    },

    getStoreModelContent: ({ req, res, params }) => serveStoreContent(req, res, params.sha256 as string, ctx.store),
  };
}
