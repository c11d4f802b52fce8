import type { z } from "zod";
import type { KeyLimits } from "../../src-shared/auth/key-limits.js";
import { UsageResponseSchema } from "../../src-shared/dashboard/key-usage.js";
import type { Scope } from "../../src-shared/auth/scopes.js";
import { ApiKeyInfoSchema, ApiKeyListResponseSchema, CreatedApiKeySchema, NodeDrainResponseSchema } from "../../src-shared/dashboard/api-keys.js";
import { NodeDetailSchema } from "../../src-shared/dashboard/cluster-events.js";
import { SettingsSchema, type SettingsUpdate } from "../../src-shared/dashboard/settings.js";
import { OpenAiModelListSchema } from "../../src-shared/openai/openai-models.js";
import { PoolCommandAcceptedSchema } from "../../src-shared/worker-api/pool-commands.js";
import { TaskStatusSchema } from "../../src-shared/tasks/task-status.js";
import { CatalogAvailabilityResponseSchema } from "../../src-shared/catalog/availability.js";
import { DiscoveredModelListSchema, UsedOnNodeSchema } from "../../src-shared/catalog/discovered-model.js";
import { HubPullSchema } from "../../src-shared/catalog/hub-pull.js";
import { StoreModelSchema } from "../../src-shared/catalog/store-model.js";
import { CatalogModelViewListSchema } from "../../src-shared/catalog/catalog-view.js";
import { CreatedModelAliasSchema, ModelAliasListSchema, ModelAliasSchema } from "../../src-shared/models/model-alias.js";
import { StageModelResponseSchema, StagingJobListResponseSchema, StagingJobSchema, type StageModelRequest } from "../../src-shared/staging/staging-job.js";
import { MetricsHistoryResponseSchema, type MetricsRange } from "../../src-shared/dashboard/metrics-history.js";
import { CreatedJoinTokenSchema, JoinTokenListResponseSchema, type CreateJoinTokenRequest } from "../../src-shared/auth/join-tokens.js";
import { SelftestListResponseSchema, SelftestRunSchema, type SelftestRequestInput } from "../../src-shared/selftest/selftest.js";
import { ApiError, apiErrorFromBody, toApiError } from "./errors.js";

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface RequestOptions {
  method?: "GET" | "POST" | "PUT" | "DELETE";
  body?: unknown;
  signal?: AbortSignal;
}

/**
 * The dashboard's HTTP client. Same origin as the orchestrator, so the HttpOnly session cookie is
 * the only credential; every response body is checked against its zod schema.
 */
export class ApiClient {
  constructor(
    private readonly fetchImpl: FetchLike = (input, init) => fetch(input, init),
    private readonly onAuthError: (err: ApiError) => void = () => {},
  ) {}

  /** PUT /v2/catalog/import with the file as the raw body: the browser streams it, the server never buffers it. */
  async uploadModel(file: Blob, fileName: string) {
    const res = await this.fetchImpl(`/v2/catalog/import?file_name=${encodeURIComponent(fileName)}`, { method: "PUT", credentials: "same-origin", headers: { "content-type": "application/octet-stream", accept: "application/json" }, body: file }).catch((err: unknown) => {
      throw toApiError(err);
    });
    if (!res.ok) throw apiErrorFromBody(res.status, await readJson(res));
    return StoreModelSchema.parse(await readJson(res));
  }

  async request<S extends z.ZodType>(path: string, schema: S | null, opts: RequestOptions = {}): Promise<z.infer<S>> {
    let res: Response;
    try {
      res = await this.fetchImpl(path, {
        method: opts.method ?? "GET",
        credentials: "same-origin",
        headers: { accept: "application/json", ...(opts.body !== undefined ? { "content-type": "application/json" } : {}) },
        ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
    } catch (err) {
      throw toApiError(err);
    }
    if (!res.ok) {
      const err = apiErrorFromBody(res.status, await readJson(res));
      if (err.isAuth) this.onAuthError(err);
      throw err;
    }
    if (schema === null || res.status === 204) return undefined as z.infer<S>;
    const body = await readJson(res);
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      throw new ApiError("BAD_RESPONSE", `unexpected response from ${path}: ${parsed.error.issues[0]?.message ?? "invalid"}`, res.status);
    }
    return parsed.data;
  }

  // --- typed endpoints ---------------------------------------------------------------------------
  nodeDetail = (id: string, signal?: AbortSignal) => this.request(`/v2/nodes/${encodeURIComponent(id)}`, NodeDetailSchema, signal ? { signal } : {});
  drainNode = (id: string) => this.request(`/v2/nodes/${encodeURIComponent(id)}/drain`, NodeDrainResponseSchema, { method: "POST" });
  undrainNode = (id: string) => this.request(`/v2/nodes/${encodeURIComponent(id)}/undrain`, NodeDrainResponseSchema, { method: "POST" });
  reloadPool = (poolId: string, modelRef: string) =>
    this.request(`/v2/pools/${encodeURIComponent(poolId)}/reload`, PoolCommandAcceptedSchema, { method: "POST", body: { new_model_ref: modelRef } });
  drainPool = (poolId: string, deadlineMs: number) => this.request(`/v2/pools/${encodeURIComponent(poolId)}/drain`, PoolCommandAcceptedSchema, { method: "POST", body: { deadline_ms: deadlineMs } });
  resumePool = (poolId: string) => this.request(`/v2/pools/${encodeURIComponent(poolId)}/resume`, PoolCommandAcceptedSchema, { method: "POST" });
  task = (id: string, signal?: AbortSignal) => this.request(`/v2/tasks/${encodeURIComponent(id)}`, TaskStatusSchema, signal ? { signal } : {});
  cancelTask = (id: string) => this.request(`/v2/tasks/${encodeURIComponent(id)}/cancel`, null, { method: "POST" });
  settings = () => this.request("/v2/settings", SettingsSchema);
  updateSettings = (update: SettingsUpdate) => this.request("/v2/settings", SettingsSchema, { method: "PUT", body: update });
  apiKeys = () => this.request("/v2/auth/keys", ApiKeyListResponseSchema);
  createApiKey = (name: string, scopes: readonly Scope[], limits?: KeyLimits) => this.request("/v2/auth/keys", CreatedApiKeySchema, { method: "POST", body: { name, scopes, ...(limits === undefined ? {} : { limits }) } });
  usage = (days: number) => this.request(`/v2/usage?days=${days}`, UsageResponseSchema);
  setApiKeyLimits = (id: string, limits: KeyLimits) => this.request(`/v2/auth/keys/${encodeURIComponent(id)}/limits`, ApiKeyInfoSchema, { method: "PUT", body: limits });
  revokeApiKey = (id: string) => this.request(`/v2/auth/keys/${encodeURIComponent(id)}`, null, { method: "DELETE" });
  createJoinToken = (request: CreateJoinTokenRequest) => this.request("/v2/auth/join-tokens", CreatedJoinTokenSchema, { method: "POST", body: request });
  joinTokens = () => this.request("/v2/auth/join-tokens", JoinTokenListResponseSchema);
  revokeJoinToken = (id: string) => this.request(`/v2/auth/join-tokens/${encodeURIComponent(id)}`, null, { method: "DELETE" });
  models = () => this.request("/v1/models", OpenAiModelListSchema);
  availability = () => this.request("/v2/catalog/availability", CatalogAvailabilityResponseSchema);
  catalogModels = () => this.request("/v2/catalog/models", CatalogModelViewListSchema);
  modelAliases = () => this.request("/v2/catalog/aliases", ModelAliasListSchema);
  setModelAlias = (name: string, sha256: string) => this.request("/v2/catalog/aliases", CreatedModelAliasSchema, { method: "POST", body: { name, target: `sha256:${sha256}` } });
  deleteModelAlias = (name: string) => this.request(`/v2/catalog/aliases/${encodeURIComponent(name)}`, ModelAliasSchema, { method: "DELETE" });
  stagingJobs = () => this.request("/v2/catalog/jobs?limit=500", StagingJobListResponseSchema);
  stageModel = (sha256: string, request: StageModelRequest) => this.request(`/v2/catalog/models/sha256:${sha256}/stage`, StageModelResponseSchema, { method: "POST", body: request });
  cancelStagingJob = (jobId: string) => this.request(`/v2/catalog/jobs/${encodeURIComponent(jobId)}/cancel`, StagingJobSchema, { method: "POST" });
  importModel = (path: string) => this.request("/v2/catalog/import", StoreModelSchema, { method: "POST", body: { path } });
  pullModel = (ref: string) => this.request("/v2/catalog/pull", HubPullSchema, { method: "POST", body: { ref } });
  pull = (id: string) => this.request(`/v2/catalog/pulls/${encodeURIComponent(id)}`, HubPullSchema);
  discoveredModels = () => this.request("/v2/catalog/discovered", DiscoveredModelListSchema);
  useDiscovered = (path: string) => this.request("/v2/catalog/discovered/use", StoreModelSchema, { method: "POST", body: { path } });
  useDiscoveredOnNode = (path: string, nodeId: string) => this.request("/v2/catalog/discovered/use", UsedOnNodeSchema, { method: "POST", body: { path, node_id: nodeId } });
  removeModelFromNode = (sha256: string, nodeId: string) => this.request(`/v2/catalog/models/sha256:${sha256}/nodes/${encodeURIComponent(nodeId)}`, null, { method: "DELETE" });
  selftests = () => this.request("/v2/selftest", SelftestListResponseSchema);
  selftest = (id: string) => this.request(`/v2/selftest/${encodeURIComponent(id)}`, SelftestRunSchema);
  startSelftest = (request: SelftestRequestInput) => this.request("/v2/selftest", SelftestRunSchema, { method: "POST", body: request });
  cancelSelftest = (id: string) => this.request(`/v2/selftest/${encodeURIComponent(id)}/cancel`, SelftestRunSchema, { method: "POST" });
  metricsHistory = (range: MetricsRange, node: string | null, signal?: AbortSignal) =>
    this.request(`/v2/metrics/history?range=${range}${node !== null ? `&node=${encodeURIComponent(node)}` : ""}`, MetricsHistoryResponseSchema, signal ? { signal } : {});
}

async function readJson(res: Response): Promise<unknown> {
  const text = await res.text().catch(() => "");
  if (text === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
