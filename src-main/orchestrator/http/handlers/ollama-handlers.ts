import type { OllamaEmbedRequest, OllamaLegacyEmbeddingsRequest } from "../../../../src-shared/ollama/ollama-embed.js";
import type { OllamaCopyRequest, OllamaModelManagementRequest, OllamaPullRequest, OllamaShowRequest } from "../../../../src-shared/ollama/ollama-models.js";
import { OLLAMA_API_VERSION } from "../../../../src-shared/ollama/ollama-models.js";
import { NDJSON_MEDIA_TYPE } from "../../../../src-shared/contract/compat-routes.js";
import type { OllamaChatRequest, OllamaGenerateRequest } from "../../../../src-shared/ollama/ollama-requests.js";
import { OrchError } from "../../../../src-shared/errors/orch-error.js";
import { withAliasEntries, type ResolvedModel } from "../../catalog/model-resolver.js";
import type { OrchestratorContext } from "../../orchestrator-context.js";
import type { RouteContext, RouteHandler } from "../../../../src-node/route-context.js";
import { checkOllamaEmbedParams, ollamaEmbedAdmission, ollamaEmbedRenderer, ollamaLegacyEmbeddingsAdmission, ollamaLegacyEmbeddingsRenderer } from "../compat/embeddings.js";
import { checkOllamaLoadRequest, ollamaChatAdmission, ollamaGenerateAdmission, ollamaModelRef } from "../compat/ollama-mapping.js";
import { ollamaModel, ollamaShow } from "../compat/ollama-models.js";
import { ollamaChunk, ollamaRenderers, type OllamaKind } from "../compat/ollama-renderer.js";
import { respondWith, serveTask } from "../compat/serve-task.js";

/** Pools keep their model loaded; /api/ps says so with an expiry far ahead. */
const NEVER_EXPIRES = "9999-12-31T23:59:59Z";

const MANAGEMENT_VERB = { ollamaCreate: "creating a model", ollamaPush: "pushing a model" } as const;

/** Ollama's API (/api/*) over the task path, for Open WebUI, Continue and ollama-js. */
export function ollamaHandlers(ctx: OrchestratorContext): Record<string, RouteHandler> {
  const modifiedAt = () => new Date(ctx.meta.startedAtMs).toISOString();
  /**
   * Why a name serves nothing: ambiguous (400, as /api/chat says), known to the catalog but on no
   * online node (the orchestrator's store, an offline node: how to stage it), or unknown (`unknown`).
   */
  const notServed = (name: string, code: "INVALID_PARAMS" | "MODEL_NOT_FOUND", message: string, unknown: string): OrchError => {
    if (code === "INVALID_PARAMS") return new OrchError(code, message);
    // An operator alias whose model no node serves: the resolver's message names the alias and its target.
    if (ctx.aliases.get(name) !== undefined) return new OrchError("MODEL_NOT_FOUND", message);
    let known: { sha256: string | null; in_store: boolean } | undefined;
    try {
      known = ctx.models.view(name.replace(/:latest$/, ""));
    } catch {
      known = undefined;
    }
    if (known === undefined || known.sha256 === null) return new OrchError("MODEL_NOT_FOUND", unknown);
    const where = known.in_store ? "it is in the orchestrator's store" : "it is in the catalog";
    return new OrchError("MODEL_NOT_FOUND", `model "${name}" (sha256:${known.sha256}) is not on any online node: ${where}; stage it to a node (POST /v2/catalog/models/sha256:${known.sha256}/stage, or the dashboard's Models view)`);
  };
  const knownToCatalog = (name: string): boolean => {
    try {
      return ctx.models.view(name.replace(/:latest$/, "")).sha256 !== null;
    } catch {
      return false;
    }
  };
  const find = (name: string): ResolvedModel => {
    const models = ctx.models.servable();
    const resolved = ctx.models.resolve(ollamaModelRef(name, models, ctx.models.aliasTable()));
    if (!resolved.ok) throw notServed(name, resolved.code, resolved.message, `model "${name}" not found; GET /api/tags lists the models in the cluster`);
    return resolved.model;
  };

  /** Chat and generate: a request with nothing to generate only "loads" the model, as Ollama answers it. */
  const generate = (rc: RouteContext, kind: OllamaKind, req: OllamaChatRequest | OllamaGenerateRequest, empty: boolean) => {
    const models = ctx.models.servable();
    if (empty) {
      checkOllamaLoadRequest(kind, req);
      find(req.model);
      rc.res.json(ollamaChunk(kind, req.model, "", { done: true, done_reason: "load" }));
      return;
    }
    const aliases = ctx.models.aliasTable();
    const input = kind === "chat" ? ollamaChatAdmission(req as OllamaChatRequest, models, aliases) : ollamaGenerateAdmission(req as OllamaGenerateRequest, models, aliases);
    // A failure after admission (a non-stream request) in Ollama's shape, like admission errors.
    serveTask(ctx, rc, input, (task) => respondWith(ollamaRenderers(kind, req.model, task), req.stream !== false), "ollama");
  };

  return {
    ollamaTags: ({ res }) => {
      // Operator aliases are entries of their own (as `ollama cp` copies are), details.parent_model naming the model.
      res.json({ models: withAliasEntries(ctx.models.servable(), ctx.models.aliasTable()).map((m) => ollamaModel(m, modifiedAt())) });
    },

    ollamaShow: ({ body, res }) => {
      const req = body as OllamaShowRequest;
      const name = req.model ?? req.name;
      if (name === undefined) throw new OrchError("INVALID_PARAMS", "model is required", { details: { issues: [{ path: ["model"], message: "required" }] } });
      res.json(ollamaShow(find(name), modifiedAt()));
    },

    ollamaPs: ({ res }) => {
      const bySha = new Map<string, ResolvedModel[]>();
      for (const m of withAliasEntries(ctx.models.servable(), ctx.models.aliasTable())) bySha.set(m.sha256, [...(bySha.get(m.sha256) ?? []), m]);
      const loaded = new Set<string>();
      for (const node of ctx.nodes.online()) {
        for (const pool of node.pools) if (pool.ready && pool.model !== undefined) loaded.add(pool.model.sha256);
      }
      // A loaded model is listed under each of its names (its id and its operator aliases).
      const models = [...loaded].flatMap((sha) =>
        (bySha.get(sha) ?? []).map((m) => {
          const { modified_at: _modified, ...entry } = ollamaModel(m, modifiedAt());
          // size_vram: heartbeats do not say how much of a model sits in VRAM.
          return { ...entry, expires_at: NEVER_EXPIRES, size_vram: 0 };
        }),
      );
      res.json({ models });
    },

    ollamaVersion: ({ res }) => {
      res.json({ version: OLLAMA_API_VERSION, llama_orch_version: ctx.meta.version });
    },

    // Open WebUI and `ollama run` pull before they chat: a model the cluster already serves is "pulled".
    ollamaPull: ({ body, res }) => {
      const req = body as OllamaPullRequest;
      const name = req.model ?? req.name;
      if (name === undefined) throw new OrchError("INVALID_PARAMS", "model is required", { details: { issues: [{ path: ["model"], message: "required" }] } });
      const models = ctx.models.servable();
      const resolved = ctx.models.resolve(ollamaModelRef(name, models, ctx.models.aliasTable()));
      if (!resolved.ok) {
        throw notServed(name, resolved.code, resolved.message, `model "${name}" is not in the cluster, and this server does not pull from the Ollama registry: put its GGUF file in a worker's models folder or stage it from the dashboard (docs/MODEL_STAGING.md); GET /api/tags lists the models in the cluster`);
      }
      if (req.stream === false) res.json({ status: "success" });
      else res.type(NDJSON_MEDIA_TYPE).end(`${JSON.stringify({ status: "success" })}\n`);
    },

    // `ollama cp source destination`: a new name for the same model, as Ollama's copy is; here an operator alias.
    ollamaCopy: ({ body, res, identity }) => {
      const req = body as OllamaCopyRequest;
      ctx.aliases.set(ctx.aliases.parseName(req.destination), req.source, identity.label);
      res.status(200).end();
    },

    // `ollama rm name`: an operator alias is deleted; a model's own name names files on workers, removed elsewhere.
    ollamaDelete: ({ body, res, identity }) => {
      const req = body as OllamaModelManagementRequest;
      const name = req.model ?? req.name;
      if (name === undefined) throw new OrchError("INVALID_PARAMS", "model is required", { details: { issues: [{ path: ["model"], message: "required" }] } });
      if (ctx.aliases.get(name) !== undefined) {
        ctx.aliases.delete(name, identity.label);
        res.status(200).end();
        return;
      }
      if (!ctx.models.resolve(ollamaModelRef(name, ctx.models.servable(), ctx.models.aliasTable())).ok && !knownToCatalog(name)) throw new OrchError("MODEL_NOT_FOUND", `model "${name}" not found; GET /api/tags lists the models in the cluster`);
      throw new OrchError("NOT_SUPPORTED", `deleting a model is not done through the Ollama API here (model "${name}"): "${name}" is a model's own name, not an alias; its GGUF files live in the workers' models folders, identified by sha256: remove them there or per node (DELETE /v2/catalog/models/{id}/nodes/{node_id}, or the dashboard's Models view). Aliases made with /api/copy are deleted here (docs/MODEL_STAGING.md)`);
    },

    ...Object.fromEntries((["ollamaCreate", "ollamaPush"] as const).map((operation): [string, RouteHandler] => [operation, ({ body }) => {
      const req = (body ?? {}) as OllamaModelManagementRequest;
      const name = req.model ?? req.name ?? req.source;
      const asked = name === undefined ? "" : ` (model "${name}")`;
      throw new OrchError("NOT_SUPPORTED", `${MANAGEMENT_VERB[operation]} is not done through the Ollama API here${asked}: models are GGUF files in the workers' models folders, identified by sha256; add, stage or remove them there or from the dashboard (docs/MODEL_STAGING.md)`);
    }])),

    ollamaChat: (rc) => {
      const req = rc.body as OllamaChatRequest;
      generate(rc, "chat", req, (req.messages ?? []).length === 0);
    },

    ollamaEmbed: (rc) => {
      const req = rc.body as OllamaEmbedRequest;
      // As Ollama: an empty string or list is no input at all, answered with no vectors (clients use it to load a model).
      if (req.input === "" || req.input.length === 0) {
        checkOllamaEmbedParams(req);
        find(req.model);
        rc.res.json({ model: req.model, embeddings: [] });
        return;
      }
      const models = ctx.models.servable();
      serveTask(ctx, rc, { ...ollamaEmbedAdmission(req), model_ref: ollamaModelRef(req.model, models, ctx.models.aliasTable()) }, () => ({ body: ollamaEmbedRenderer(req.model) }), "ollama");
    },

    ollamaEmbeddings: (rc) => {
      const req = rc.body as OllamaLegacyEmbeddingsRequest;
      // An empty prompt embeds nothing: Ollama answers an empty vector (clients use it to load a model).
      if (req.prompt === "") {
        checkOllamaEmbedParams(req);
        find(req.model);
        rc.res.json({ embedding: [] });
        return;
      }
      const input = ollamaLegacyEmbeddingsAdmission(req);
      serveTask(ctx, rc, { ...input, model_ref: ollamaModelRef(req.model, ctx.models.servable(), ctx.models.aliasTable()) }, () => ({ body: ollamaLegacyEmbeddingsRenderer() }), "ollama");
    },

    ollamaGenerate: (rc) => {
      const req = rc.body as OllamaGenerateRequest;
      generate(rc, "generate", req, (req.prompt ?? "") === "");
    },
  };
}
