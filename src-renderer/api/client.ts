import type { z } from "zod";
import { ApiKeyListResponseSchema, CreatedApiKeySchema, NodeDrainResponseSchema } from "../../src-shared/dashboard/api-keys.js";
import { NodeDetailSchema } from "../../src-shared/dashboard/cluster-events.js";
import { SettingsSchema, type SettingsUpdate } from "../../src-shared/dashboard/settings.js";
import { OpenAiModelListSchema } from "../../src-shared/openai/openai-models.js";
import { PoolCommandAcceptedSchema } from "../../src-shared/worker-api/pool-commands.js";
import { TaskStatusSchema } from "../../src-shared/tasks/task-status.js";
import { CatalogAvailabilityResponseSchema } from "../../src-shared/catalog/availability.js";
import { MetricsHistoryResponseSchema, type MetricsRange } from "../../src-shared/dashboard/metrics-history.js";
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
  createApiKey = (name: string) => this.request("/v2/auth/keys", CreatedApiKeySchema, { method: "POST", body: { name } });
  revokeApiKey = (id: string) => this.request(`/v2/auth/keys/${encodeURIComponent(id)}`, null, { method: "DELETE" });
  models = () => this.request("/v1/models", OpenAiModelListSchema);
  availability = () => this.request("/v2/catalog/availability", CatalogAvailabilityResponseSchema);
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
