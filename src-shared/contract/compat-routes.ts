import { z } from "zod";
import { ModelListQuerySchema, ModelListResponseSchema, ModelResponseSchema } from "../anthropic/anthropic-models.js";
import { AnthropicCountTokensRequestSchema, AnthropicCountTokensResponseSchema, AnthropicMessageSchema, AnthropicMessagesRequestSchema, AnthropicStreamEventSchema } from "../anthropic/messages.js";
import { ChatCompletionChunkSchema, ChatCompletionRequestSchema, ChatCompletionResponseSchema } from "../openai/chat-completions.js";
import { CompletionChunkSchema, CompletionRequestSchema, CompletionResponseSchema } from "../openai/completions.js";
import { EmbeddingRequestSchema, EmbeddingResponseSchema } from "../openai/embeddings.js";
import { RerankRequestSchema, RerankResponseSchema } from "../rerank/rerank.js";
import { OllamaEmbedRequestSchema, OllamaEmbedResponseSchema, OllamaLegacyEmbeddingsRequestSchema, OllamaLegacyEmbeddingsResponseSchema } from "../ollama/ollama-embed.js";
import { ResponseObjectSchema, ResponsesRequestSchema, ResponsesStreamEventSchema } from "../openai/responses.js";
import { OllamaCopyRequestSchema, OllamaModelManagementRequestSchema, OllamaPsResponseSchema, OllamaPullRequestSchema, OllamaPullStatusSchema, OllamaShowRequestSchema, OllamaShowResponseSchema, OllamaTagsResponseSchema, OllamaVersionResponseSchema } from "../ollama/ollama-models.js";
import { OllamaErrorSchema } from "../ollama/ollama-error.js";
import { OllamaChatRequestSchema, OllamaGenerateRequestSchema } from "../ollama/ollama-requests.js";
import { OllamaChatResponseSchema, OllamaGenerateResponseSchema } from "../ollama/ollama-responses.js";
import { JSON_MEDIA_TYPE, SSE_MEDIA_TYPE, jsonContent, type RouteSpec } from "./route-spec.js";

// The compatible surfaces: thin adapters over the task path (DESIGN.md §3). What each one does with
// every parameter is in src-shared/{openai,anthropic,ollama}/*-params.ts and docs/API.md.

export const NDJSON_MEDIA_TYPE = "application/x-ndjson";

const ok = (description: string, schema: z.ZodType) => ({ description, content: jsonContent(schema) });
const GENERATION_ERRORS = [400, 404, 409, 413, 415, 422, 429, 503];
const streamed = (description: string, json: z.ZodType, streamMediaType: string, frame: z.ZodType) => ({ 200: { description, content: { [JSON_MEDIA_TYPE]: json, [streamMediaType]: frame } } });

export const OPENAI_ROUTES: readonly RouteSpec[] = [
  // With an anthropic-version header (Anthropic's SDKs), the same routes answer Anthropic's shapes and errors.
  { method: "get", path: "/v1/models", operationId: "openaiListModels", summary: "Models servable by name (Anthropic's paged shape when anthropic-version is sent)", tag: "openai", auth: true, errorStyle: "openai", query: ModelListQuerySchema, responses: { 200: ok("Model list", ModelListResponseSchema) }, errors: [400] },
  { method: "get", path: "/v1/models/{id}", operationId: "openaiGetModel", summary: "One model by id (Anthropic's shape when anthropic-version is sent)", tag: "openai", auth: true, errorStyle: "openai", pathParams: { id: z.string().min(1).max(1024) }, responses: { 200: ok("Model", ModelResponseSchema) }, errors: [404] },
  {
    method: "post", path: "/v1/chat/completions", operationId: "openaiChatCompletions", traced: true, summary: "Chat completion; streams chat.completion.chunk when stream=true", tag: "openai", auth: true, errorStyle: "openai", sse: true,
    body: { content: jsonContent(ChatCompletionRequestSchema), required: true },
    responses: streamed("Completion, or an SSE stream of chunks ending with data: [DONE]", ChatCompletionResponseSchema, SSE_MEDIA_TYPE, ChatCompletionChunkSchema),
    errors: GENERATION_ERRORS,
  },
  {
    method: "post", path: "/v1/completions", operationId: "openaiCompletions", traced: true, summary: "Text completion; streams when stream=true", tag: "openai", auth: true, errorStyle: "openai", sse: true,
    body: { content: jsonContent(CompletionRequestSchema), required: true },
    responses: streamed("Completion, or an SSE stream of chunks ending with data: [DONE]", CompletionResponseSchema, SSE_MEDIA_TYPE, CompletionChunkSchema),
    errors: GENERATION_ERRORS,
  },
  {
    method: "post", path: "/v1/embeddings", operationId: "openaiEmbeddings", traced: true, summary: "Embeddings of one or more texts, from an embedding context of the model's pool", tag: "openai", auth: true, errorStyle: "openai",
    body: { content: jsonContent(EmbeddingRequestSchema), required: true },
    responses: { 200: ok("One vector per input", EmbeddingResponseSchema) },
    errors: GENERATION_ERRORS,
  },
  {
    method: "post", path: "/v1/rerank", operationId: "rerank", traced: true, summary: "Rerank documents against a query (Jina/Cohere shape) with the ranking head of a reranker model", tag: "openai", auth: true, errorStyle: "openai",
    body: { content: jsonContent(RerankRequestSchema), required: true },
    responses: { 200: ok("Results, most relevant first", RerankResponseSchema) },
    errors: GENERATION_ERRORS,
  },
  {
    method: "post", path: "/v1/responses", operationId: "openaiResponses", traced: true, summary: "Responses API (text); streams response.* events when stream=true", tag: "openai", auth: true, errorStyle: "openai", sse: true,
    body: { content: jsonContent(ResponsesRequestSchema), required: true },
    responses: streamed("Response object, or an SSE stream of response events", ResponseObjectSchema, SSE_MEDIA_TYPE, ResponsesStreamEventSchema),
    errors: GENERATION_ERRORS,
  },
];

export const ANTHROPIC_ROUTES: readonly RouteSpec[] = [
  {
    method: "post", path: "/v1/messages", operationId: "anthropicMessages", traced: true, summary: "Anthropic Messages API (text); streams message events when stream=true; x-api-key or Bearer", tag: "anthropic", auth: true, errorStyle: "anthropic", sse: true,
    body: { content: jsonContent(AnthropicMessagesRequestSchema), required: true },
    responses: streamed("Message, or an SSE stream of message events", AnthropicMessageSchema, SSE_MEDIA_TYPE, AnthropicStreamEventSchema),
    errors: GENERATION_ERRORS,
  },
  {
    method: "post", path: "/v1/messages/count_tokens", operationId: "anthropicCountTokens", traced: true, summary: "Anthropic: input tokens of a Messages request, counted by a worker with the model's tokenizer and chat template (placed and queued like a task)", tag: "anthropic", auth: true, errorStyle: "anthropic",
    body: { content: jsonContent(AnthropicCountTokensRequestSchema), required: true },
    responses: { 200: ok("The count", AnthropicCountTokensResponseSchema) },
    errors: GENERATION_ERRORS,
  },
];

export const OLLAMA_ROUTES: readonly RouteSpec[] = [
  { method: "get", path: "/api/tags", operationId: "ollamaTags", summary: "Ollama: models available", tag: "ollama", auth: true, errorStyle: "ollama", responses: { 200: ok("Models", OllamaTagsResponseSchema) } },
  { method: "post", path: "/api/show", operationId: "ollamaShow", summary: "Ollama: one model's details", tag: "ollama", auth: true, errorStyle: "ollama", body: { content: jsonContent(OllamaShowRequestSchema), required: true }, responses: { 200: ok("Model", OllamaShowResponseSchema) }, errors: [400, 404, 413, 415] },
  { method: "get", path: "/api/ps", operationId: "ollamaPs", summary: "Ollama: models loaded in ready pools", tag: "ollama", auth: true, errorStyle: "ollama", responses: { 200: ok("Loaded models", OllamaPsResponseSchema) } },
  { method: "get", path: "/api/version", operationId: "ollamaVersion", summary: "Ollama: server version", tag: "ollama", auth: true, errorStyle: "ollama", responses: { 200: ok("Version", OllamaVersionResponseSchema) } },
  {
    method: "post", path: "/api/pull", operationId: "ollamaPull", summary: "Ollama: pull a model. A model already in the cluster answers success (nothing to download); any other is 404: this server does not pull from the Ollama registry", tag: "ollama", auth: true, errorStyle: "ollama",
    body: { content: jsonContent(OllamaPullRequestSchema), required: true },
    responses: { 200: { description: "success, or an NDJSON stream of status lines ending with success (stream is the default)", content: { [JSON_MEDIA_TYPE]: OllamaPullStatusSchema, [NDJSON_MEDIA_TYPE]: OllamaPullStatusSchema } } },
    errors: [400, 404, 413, 415],
  },
  // Ollama's cp makes a new name for the same model: here an operator alias (docs/MODEL_STAGING.md "Aliases"). Admin only.
  {
    method: "post", path: "/api/copy", operationId: "ollamaCopy", summary: "Ollama: copy a model = make `destination` an operator alias of `source`'s model (sha256); an existing alias is repointed. Empty 200 as Ollama", tag: "ollama", auth: true, scopes: ["admin"], errorStyle: "ollama",
    body: { content: jsonContent(OllamaCopyRequestSchema), required: true },
    responses: { 200: { description: "Copied (an alias made); empty body, as Ollama answers" } },
    errors: [400, 404, 409, 413, 415],
  },
  {
    method: "delete", path: "/api/delete", operationId: "ollamaDelete", summary: "Ollama: delete a model name. An operator alias is deleted (empty 200); a model's own name is refused with 501 and how to remove its files (docs/MODEL_STAGING.md)", tag: "ollama", auth: true, scopes: ["admin"], errorStyle: "ollama",
    body: { content: jsonContent(OllamaModelManagementRequestSchema), required: true },
    responses: { 200: { description: "Alias deleted; empty body, as Ollama answers" }, 501: { description: "A model's own name: not deleted through this API", content: jsonContent(OllamaErrorSchema) } },
    errors: [400, 404, 413, 415],
  },
  ...([["post", "/api/create", "ollamaCreate", "create a model from a Modelfile"], ["post", "/api/push", "ollamaPush", "push a model to a registry"]] as const).map(([method, path, operationId, what]): RouteSpec => ({
    // Model management: admin only (docs/SECURITY.md), even though it is refused, so that it stays so if it is ever done.
    method, path, operationId, summary: `Ollama: ${what}. Refused with 501 and what to do instead: models are GGUF files in workers' models folders (docs/MODEL_STAGING.md)`, tag: "ollama", auth: true, scopes: ["admin"], errorStyle: "ollama",
    body: { content: jsonContent(OllamaModelManagementRequestSchema), required: false },
    responses: { 501: { description: "Not done by this server", content: jsonContent(OllamaErrorSchema) } },
    errors: [400, 413, 415],
  })),
  {
    method: "post", path: "/api/chat", operationId: "ollamaChat", traced: true, summary: "Ollama: chat; NDJSON stream unless stream=false", tag: "ollama", auth: true, errorStyle: "ollama",
    body: { content: jsonContent(OllamaChatRequestSchema), required: true },
    responses: streamed("The done object, or NDJSON chunks ending with done:true", OllamaChatResponseSchema, NDJSON_MEDIA_TYPE, OllamaChatResponseSchema),
    errors: GENERATION_ERRORS,
  },
  {
    method: "post", path: "/api/embed", operationId: "ollamaEmbed", traced: true, summary: "Ollama: embeddings of one or more texts", tag: "ollama", auth: true, errorStyle: "ollama",
    body: { content: jsonContent(OllamaEmbedRequestSchema), required: true },
    responses: { 200: ok("One vector per input", OllamaEmbedResponseSchema) },
    errors: GENERATION_ERRORS,
  },
  {
    method: "post", path: "/api/embeddings", operationId: "ollamaEmbeddings", traced: true, summary: "Ollama (older endpoint): the embedding of one prompt", tag: "ollama", auth: true, errorStyle: "ollama",
    body: { content: jsonContent(OllamaLegacyEmbeddingsRequestSchema), required: true },
    responses: { 200: ok("One vector", OllamaLegacyEmbeddingsResponseSchema) },
    errors: GENERATION_ERRORS,
  },
  {
    method: "post", path: "/api/generate", operationId: "ollamaGenerate", traced: true, summary: "Ollama: generate; NDJSON stream unless stream=false", tag: "ollama", auth: true, errorStyle: "ollama",
    body: { content: jsonContent(OllamaGenerateRequestSchema), required: true },
    responses: streamed("The done object, or NDJSON chunks ending with done:true", OllamaGenerateResponseSchema, NDJSON_MEDIA_TYPE, OllamaGenerateResponseSchema),
    errors: GENERATION_ERRORS,
  },
];
