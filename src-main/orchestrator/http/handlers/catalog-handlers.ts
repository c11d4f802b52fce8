import type { CatalogEntry, CatalogModelV2, CatalogStateRequest } from "../../../../src-shared/catalog/catalog-model.js";
import { buildAvailability } from "../../catalog/availability.js";
import { findCatalogView } from "../../catalog/catalog-views.js";
import type { ResolvedModel } from "../../catalog/model-resolver.js";
import type { OrchestratorContext } from "../../orchestrator-context.js";
import { OrchError } from "../../../../src-shared/errors/orch-error.js";
import type { RouteHandler } from "../../../../src-node/route-context.js";

/** A catalog view of a model discovered on workers (no operator record). */
function discoveredEntry(m: ResolvedModel): CatalogEntry {
  return { id: `sha256:${m.sha256}`, name: m.id, local_path: null, lifecycle: "Active", digest: { algo: "sha256", value: m.sha256 }, size_bytes: m.size_bytes, last_verified_ms: null };
}

export function catalogHandlers(ctx: OrchestratorContext): Record<string, RouteHandler> {
  const find = (id: string): CatalogEntry | null => {
    const stored = ctx.catalog.get(id);
    if (stored) return stored;
    const sha = id.startsWith("sha256:") ? id.slice(7) : id;
    const discovered = ctx.clusterModels().find((m) => m.sha256 === sha || m.id === id);
    return discovered ? discoveredEntry(discovered) : null;
  };

  return {
    getCatalogAvailability: ({ res }) => {
      const facts = new Map(ctx.catalogViews().flatMap((v) => (v.sha256 !== null && v.name !== null && v.size_bytes !== null ? [[v.sha256, { name: v.name, size_bytes: v.size_bytes }] as const] : [])));
      res.json(buildAvailability(ctx.registry.list(), facts));
    },

    listCatalogModels: ({ res }) => {
      res.json({ models: ctx.catalogViews() });
    },

    createCatalogModel: ({ body, res, identity }) => {
      const req = body as CatalogModelV2;
      if (ctx.catalog.get(req.id)) throw new OrchError("CONFLICT", `catalog model ${req.id} exists`);
      const [algo, value] = req.digest.split(":") as [string, string];
      if (req.trust_policy?.mode === "strict" && req.trust_policy.require_signature && !(req.signatures ?? []).some((s) => s.verified)) {
        throw new OrchError("UNTRUSTED_ARTIFACT", "strict trust policy requires a verified signature");
      }
      const known = ctx.clusterModels().find((m) => m.sha256 === value.toLowerCase());
      const entry: CatalogEntry = {
        id: req.id,
        name: req.name ?? known?.id ?? null,
        local_path: null,
        lifecycle: "Active",
        digest: { algo, value: value.toLowerCase() },
        size_bytes: req.manifests?.[0]?.size_bytes ?? known?.size_bytes ?? null,
        last_verified_ms: null,
      };
      ctx.catalog.put(entry);
      ctx.audit.record({ at_ms: Date.now(), identity: identity.label, action: "catalog_model_created", target: req.id, outcome: "success" });
      res.status(201).json(entry);
    },

    getCatalogModel: ({ params, res }) => {
      const view = findCatalogView(ctx.catalogViews(), params.id as string);
      if (!view) throw new OrchError("MODEL_NOT_FOUND", `no catalog model ${params.id}`);
      res.json(view);
    },

    deleteCatalogModel: ({ params, res, identity }) => {
      if (!ctx.catalog.delete(params.id as string)) throw new OrchError("MODEL_NOT_FOUND", `no catalog record ${params.id} (models discovered on workers have no record to delete)`);
      ctx.audit.record({ at_ms: Date.now(), identity: identity.label, action: "catalog_model_deleted", target: params.id as string, outcome: "success" });
      res.status(204).end();
    },

    verifyCatalogModel: ({ params, res }) => {
      const entry = find(params.id as string);
      if (!entry) throw new OrchError("MODEL_NOT_FOUND", `no catalog model ${params.id}`);
      // Workers hash every file they serve; a digest some online node reports is verified now.
      const verified = entry.digest !== null && ctx.clusterModels().some((m) => m.sha256 === entry.digest?.value);
      const updated: CatalogEntry = { ...entry, last_verified_ms: verified ? Date.now() : entry.last_verified_ms };
      if (ctx.catalog.get(entry.id)) ctx.catalog.put(updated);
      res.status(202).json(updated);
    },

    setCatalogModelState: ({ params, body, res, identity }) => {
      const entry = find(params.id as string);
      if (!entry) throw new OrchError("MODEL_NOT_FOUND", `no catalog model ${params.id}`);
      const updated: CatalogEntry = { ...entry, lifecycle: (body as CatalogStateRequest).state };
      ctx.catalog.put(updated);
      ctx.audit.record({ at_ms: Date.now(), identity: identity.label, action: "catalog_model_state", target: entry.id, outcome: "success", details: { state: updated.lifecycle } });
      res.status(202).json(updated);
    },
  };
}
