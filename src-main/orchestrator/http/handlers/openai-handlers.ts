import type { ChatCompletionRequest } from "../../../../src-shared/openai/chat-completions.js";
import type { CompletionRequest } from "../../../../src-shared/openai/completions.js";
import type { EmbeddingRequest } from "../../../../src-shared/openai/embeddings.js";
import type { OpenAiModel, OpenAiModelList } from "../../../../src-shared/openai/openai-models.js";
import type { ResponsesRequest } from "../../../../src-shared/openai/responses.js";
import type { RerankRequest } from "../../../../src-shared/rerank/rerank.js";
import { rerankAdmission, rerankRenderer } from "../compat/rerank.js";
import { OrchError } from "../../../../src-shared/errors/orch-error.js";
import { echoedModelId, withAliasEntries, type AliasTable, type ResolvedModel } from "../../catalog/model-resolver.js";
import type { OrchestratorContext } from "../../orchestrator-context.js";
import type { RouteHandler } from "../../../../src-node/route-context.js";
import { recordEndUser } from "../compat/end-user.js";
import { openAiEmbeddingAdmission, openAiEmbeddingRenderer } from "../compat/embeddings.js";
import { chatAdmission, completionAdmission } from "../compat/openai-mapping.js";
import { openAiRenderers } from "../compat/openai-renderer.js";
import { openAiRefusalNamer } from "../compat/openai-refusal-param.js";
import { responsesAdmission } from "../compat/responses-mapping.js";
import { responsesRenderers } from "../compat/responses-renderer.js";
import { pinFromHeader } from "../compat/pin-header.js";
import { anthropicModel, anthropicModelPage, isAnthropicClient } from "../compat/anthropic-models.js";
import type { ModelListQuery } from "../../../../src-shared/anthropic/anthropic-models.js";
import { respondWith, serveTask } from "../compat/serve-task.js";

/**
 * OpenAI-compatible routes: the same admission, placement and dispatch as /v2/tasks, in OpenAI's shapes.
 * A non-streaming completion answers only at the end: it may be dispatched before its accept commits.
 */
export function openAiHandlers(ctx: OrchestratorContext): Record<string, RouteHandler> {
  const created = () => Math.floor(ctx.meta.startedAtMs / 1000);
  const startedAt = () => new Date(ctx.meta.startedAtMs).toISOString();
  const model = (m: ResolvedModel): OpenAiModel => ({ id: echoedModelId(m), object: "model", created: created(), owned_by: "llama-orch", ...(m.workloads !== undefined ? { capabilities: m.workloads } : {}), ...(m.alias !== undefined ? { alias_of: m.id } : {}) });
  // The list rendered once per model set: servable() and the alias table are the same objects until they change.
  let listed: { of: ResolvedModel[]; aliases: AliasTable; body: OpenAiModelList } | null = null;
  return {
    openaiListModels: ({ req, res, query }) => {
      const servable = ctx.models.servable();
      const aliases = ctx.models.aliasTable();
      // Anthropic's SDKs (client.models.list) send anthropic-version and page through Anthropic's shape.
      if (isAnthropicClient(req)) {
        res.json(anthropicModelPage(withAliasEntries(servable, aliases).map((m) => anthropicModel(m, startedAt())), query as ModelListQuery));
        return;
      }
      if (listed?.of !== servable || listed.aliases !== aliases) listed = { of: servable, aliases, body: { object: "list", data: withAliasEntries(servable, aliases).map(model) } };
      res.json(listed.body);
    },

    openaiGetModel: ({ req, params, res }) => {
      const resolved = ctx.models.resolve(params.id as string);
      if (!resolved.ok) throw new OrchError("MODEL_NOT_FOUND", ctx.aliases.get(params.id as string) !== undefined ? resolved.message : `no model "${params.id as string}"; GET /v1/models lists the models in the cluster`);
      res.json(isAnthropicClient(req) ? anthropicModel(resolved.model, startedAt()) : model(resolved.model));
    },

    openaiChatCompletions: (rc) => {
      const req = rc.body as ChatCompletionRequest;
      const task = serveTask(ctx, rc, { ...chatAdmission(req), placement: pinFromHeader(rc.req), dispatch_before_commit: req.stream !== true }, (t) => respondWith(openAiRenderers("chat", t, req.stream_options?.include_usage === true), req.stream === true), "openai", openAiRefusalNamer({ maxTokens: req.max_completion_tokens !== null && req.max_completion_tokens !== undefined ? "max_completion_tokens" : "max_tokens", prompt: "messages", format: { param: "response_format", schema: "response_format.json_schema.schema" } }));
      recordEndUser(ctx, rc.identity, task.task_id, task.api, req.user ?? stringField(req, "safety_identifier"));
    },

    openaiCompletions: (rc) => {
      const req = rc.body as CompletionRequest;
      const task = serveTask(ctx, rc, { ...completionAdmission(req), dispatch_before_commit: req.stream !== true }, (t) => respondWith(openAiRenderers("completion", t, req.stream_options?.include_usage === true), req.stream === true), "openai", openAiRefusalNamer({ maxTokens: "max_tokens", prompt: "prompt" }));
      recordEndUser(ctx, rc.identity, task.task_id, task.api, req.user ?? undefined);
    },

    openaiEmbeddings: (rc) => {
      const req = rc.body as EmbeddingRequest;
      const task = serveTask(ctx, rc, openAiEmbeddingAdmission(req), (t) => ({ body: openAiEmbeddingRenderer(req, echoedModelId(t.model)) }), "openai", openAiRefusalNamer({ prompt: "input" }));
      recordEndUser(ctx, rc.identity, task.task_id, task.api, req.user ?? undefined);
    },

    rerank: (rc) => {
      const req = rc.body as RerankRequest;
      serveTask(ctx, rc, rerankAdmission(req), (t) => ({ body: rerankRenderer(req, t) }), "openai", openAiRefusalNamer({ prompt: "documents" }));
    },

    openaiResponses: (rc) => {
      const req = rc.body as ResponsesRequest;
      const task = serveTask(ctx, rc, responsesAdmission(req), (t) => respondWith(responsesRenderers(t, req), req.stream === true), "openai", openAiRefusalNamer({ maxTokens: "max_output_tokens", prompt: "input", format: { param: "text.format", schema: "text.format.schema" } }));
      recordEndUser(ctx, rc.identity, task.task_id, task.api, req.user ?? stringField(req, "safety_identifier"));
    },
  };
}

function stringField(body: Readonly<Record<string, unknown>>, key: string): string | undefined {
  const value = body[key];
  return typeof value === "string" ? value : undefined;
}
