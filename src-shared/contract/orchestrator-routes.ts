import { z } from "zod";
import { NodeIdSchema, PoolIdSchema } from "../common/ids.js";
import { CatalogAvailabilityResponseSchema } from "../catalog/availability.js";
import { CatalogEntrySchema, CatalogModelV2Schema, CatalogStateRequestSchema } from "../catalog/catalog-model.js";
import { CatalogModelViewListSchema, CatalogModelViewSchema } from "../catalog/catalog-view.js";
import { CapabilitiesResponseSchema, OrchestratorHealthResponseSchema, VersionResponseSchema } from "../meta/capabilities.js";
import { ReadinessResponseSchema } from "../meta/readiness.js";
import { HeartbeatRequestSchema, HeartbeatResponseSchema } from "../nodes/heartbeat.js";
import { parseHeartbeatFast } from "../nodes/heartbeat-fast-parse.js";
import { NodeListResponseSchema } from "../nodes/node-info.js";
import { RegisterNodeRequestSchema, RegisterNodeResponseSchema } from "../nodes/node-registration.js";
import { PoolHealthResponseSchema, PoolReloadRequestSchema } from "../pools/pool-health.js";
import { SessionInfoSchema } from "../sessions/session.js";
import { SseEventSchema } from "../streaming/sse-events.js";
import { AdmissionResponseV2Schema } from "../tasks/admission.js";
import { TaskRequestV2Schema } from "../tasks/task-request.js";
import { TaskEventsQuerySchema, TaskListQuerySchema, TaskListResponseSchema, TaskStatusSchema } from "../tasks/task-status.js";
import { DrainRequestSchema, PoolCommandAcceptedSchema } from "../worker-api/pool-commands.js";
import { CreateJoinTokenRequestSchema, CreatedJoinTokenSchema, JoinNodeRequestSchema, JoinNodeResponseSchema, JoinTokenListResponseSchema } from "../auth/join-tokens.js";
import { ApiKeyInfoSchema, ApiKeyListResponseSchema, CreateApiKeyRequestSchema, CreatedApiKeySchema, LoginCodeResponseSchema, NodeDrainResponseSchema } from "../dashboard/api-keys.js";
import { KeyLimitsInputSchema } from "../auth/key-limits.js";
import { UsageQuerySchema, UsageResponseSchema } from "../dashboard/key-usage.js";
import { ClusterEventSchema, ClusterEventsQuerySchema, LogListQuerySchema, LogListResponseSchema, NodeDetailSchema } from "../dashboard/cluster-events.js";
import { MetricsHistoryQuerySchema, MetricsHistoryResponseSchema } from "../dashboard/metrics-history.js";
import { SettingsSchema, SettingsUpdateSchema } from "../dashboard/settings.js";
import { ANTHROPIC_ROUTES, OLLAMA_ROUTES, OPENAI_ROUTES } from "./compat-routes.js";
import { StageModelRequestSchema, StageModelResponseSchema, StagingJobListQuerySchema, StagingJobListResponseSchema, StagingJobSchema } from "../staging/staging-job.js";
import { DiscoveredModelListSchema, UseDiscoveredRequestSchema, UsedOnNodeSchema } from "../catalog/discovered-model.js";
import { HubPullListSchema, HubPullRequestSchema, HubPullSchema } from "../catalog/hub-pull.js";
import { ImportModelRequestSchema, StoreModelListSchema, StoreModelSchema, UploadModelQuerySchema } from "../catalog/store-model.js";
import { Sha256HexSchema } from "../models/sha256.js";
import { CreateModelAliasRequestSchema, CreatedModelAliasSchema, ModelAliasListSchema, ModelAliasNameParam, ModelAliasSchema } from "../models/model-alias.js";
import { SelftestIdParamSchema, SelftestListResponseSchema, SelftestRequestSchema, SelftestRunSchema } from "../selftest/selftest.js";
import { JSON_MEDIA_TYPE, OCTET_STREAM_MEDIA_TYPE, PROMETHEUS_MEDIA_TYPE, SSE_MEDIA_TYPE, jsonContent, type RouteSpec } from "./route-spec.js";

const TaskIdParam = { id: z.string().min(1).max(128) };
const SessionIdParam = { id: z.string().min(1).max(128) };
const NodeIdParam = { id: NodeIdSchema };
const PoolIdParam = { id: PoolIdSchema };
// Catalog ids may be refs such as hf:org/repo/file.gguf: clients percent-encode them into one segment.
const CatalogIdParam = { id: z.string().min(1).max(1024) };
const StagingJobIdParam = { id: z.string().min(1).max(128) };

const ok = (description: string, schema: z.ZodType) => ({ description, content: jsonContent(schema) });
const noContent = { description: "Done; no body." };

/** Every route the orchestrator serves. The contract test checks each one is in docs/openapi.json. */
export const ORCHESTRATOR_ROUTES: readonly RouteSpec[] = [
  // Meta
  { method: "get", path: "/health", operationId: "getHealth", summary: "Liveness; open without token", tag: "meta", auth: false, responses: { 200: ok("Alive", OrchestratorHealthResponseSchema) } },
  { method: "get", path: "/ready", operationId: "getReady", summary: "Readiness: at least one pool can serve; open without token", tag: "meta", auth: false, responses: { 200: ok("Ready", ReadinessResponseSchema) }, errors: [503] },
  { method: "get", path: "/metrics", operationId: "getMetrics", summary: "Prometheus metrics (token required unless configured public)", tag: "meta", auth: true, responses: { 200: { description: "Prometheus text exposition", content: { [PROMETHEUS_MEDIA_TYPE]: null } } } },
  { method: "get", path: "/openapi.json", operationId: "getOpenApi", summary: "This OpenAPI document", tag: "meta", auth: true, responses: { 200: { description: "OpenAPI 3.1 document", content: { [JSON_MEDIA_TYPE]: null } } } },
  { method: "get", path: "/v2/meta/capabilities", operationId: "getCapabilities", summary: "Engines, limits and API version", tag: "meta", auth: true, responses: { 200: ok("Capabilities", CapabilitiesResponseSchema) } },
  { method: "get", path: "/v2/meta/version", operationId: "getVersion", summary: "API and build version", tag: "meta", auth: true, responses: { 200: ok("Version", VersionResponseSchema) } },

  // Tasks
  {
    method: "post", path: "/v2/tasks", operationId: "createTask", traced: true, summary: "Admit a task into the queue", tag: "tasks", auth: true,
    body: { content: jsonContent(TaskRequestV2Schema), required: true },
    responses: { 202: ok("Accepted; stream it from streams.sse", AdmissionResponseV2Schema) },
    errors: [400, 404, 409, 410, 413, 415, 422, 429, 503, 507],
  },
  { method: "get", path: "/v2/tasks", operationId: "listTasks", summary: "Queue board: recent and active tasks", tag: "tasks", auth: true, query: TaskListQuerySchema, responses: { 200: ok("Tasks, newest first", TaskListResponseSchema) }, errors: [400] },
  { method: "get", path: "/v2/tasks/{id}", operationId: "getTask", summary: "Task state, timings and placement explanation", tag: "tasks", auth: true, pathParams: TaskIdParam, responses: { 200: ok("Task", TaskStatusSchema) }, errors: [404] },
  {
    method: "get", path: "/v2/tasks/{id}/events", operationId: "streamTaskEvents", summary: "Token stream: started → (token | metrics)* → end | error", tag: "tasks", auth: true,
    pathParams: TaskIdParam, query: TaskEventsQuerySchema, sse: true,
    responses: { 200: { description: "SSE stream; each frame is `event: <name>` + `data: <json>` as described by SseEvent", content: { [SSE_MEDIA_TYPE]: SseEventSchema } } },
    errors: [404],
  },
  { method: "post", path: "/v2/tasks/{id}/cancel", operationId: "cancelTask", summary: "Cancel a queued or running task; no token follows", tag: "tasks", auth: true, pathParams: TaskIdParam, responses: { 204: noContent }, errors: [404] },

  // Sessions
  { method: "get", path: "/v2/sessions/{id}", operationId: "getSession", summary: "Session TTL, turns, KV warmth and budgets", tag: "sessions", auth: true, pathParams: SessionIdParam, responses: { 200: ok("Session", SessionInfoSchema) }, errors: [404] },
  { method: "delete", path: "/v2/sessions/{id}", operationId: "deleteSession", summary: "Evict a session and its KV", tag: "sessions", auth: true, pathParams: SessionIdParam, responses: { 204: noContent }, errors: [404] },

  // Nodes (worker agents call these)
  { method: "post", path: "/v2/nodes/register", operationId: "registerNode", summary: "Register (or re-register) a worker node; the first credential to register a node id owns it", tag: "nodes", auth: true, scopes: ["worker"], body: { content: jsonContent(RegisterNodeRequestSchema), required: true }, responses: { 200: ok("Registered", RegisterNodeResponseSchema) }, errors: [400, 409, 413, 415, 429] },
  { method: "post", path: "/v2/nodes/{id}/heartbeat", operationId: "nodeHeartbeat", summary: "Push pool snapshots; 404 means re-register", tag: "nodes", auth: true, scopes: ["worker"], pathParams: NodeIdParam, body: { content: jsonContent(HeartbeatRequestSchema), required: true, fastParse: parseHeartbeatFast }, responses: { 200: ok("Recorded", HeartbeatResponseSchema) }, errors: [400, 404, 409, 413, 415, 429] },
  {
    method: "post", path: "/v2/nodes/join", operationId: "joinNode", summary: "Exchange a single-use join token (as the bearer credential) for this node's own worker key, bound to node_id; the key is shown once", tag: "nodes", auth: true, scopes: ["worker"],
    body: { content: jsonContent(JoinNodeRequestSchema), required: true }, responses: { 201: ok("Joined: the node's worker key", JoinNodeResponseSchema) }, errors: [400, 409, 413, 415],
  },
  { method: "delete", path: "/v2/nodes/{id}", operationId: "deregisterNode", summary: "Deregister a node on graceful stop (its owning credential only)", tag: "nodes", auth: true, scopes: ["worker"], pathParams: NodeIdParam, responses: { 204: noContent }, errors: [404, 409] },
  { method: "post", path: "/v2/nodes/{id}/forget", operationId: "forgetNode", summary: "Admin: drop a node and the credential it is bound to, so another credential may register it", tag: "nodes", auth: true, pathParams: NodeIdParam, responses: { 204: noContent }, errors: [404] },
  { method: "get", path: "/v2/nodes", operationId: "listNodes", summary: "Known nodes with status and pool snapshots", tag: "nodes", auth: true, responses: { 200: ok("Nodes", NodeListResponseSchema) } },
  { method: "get", path: "/v2/nodes/{id}", operationId: "getNode", summary: "One node with its event history", tag: "nodes", auth: true, pathParams: NodeIdParam, responses: { 200: ok("Node", NodeDetailSchema) }, errors: [404] },
  { method: "post", path: "/v2/nodes/{id}/drain", operationId: "drainNode", summary: "Operator drain: no new placements on the node", tag: "nodes", auth: true, pathParams: NodeIdParam, responses: { 200: ok("Drained", NodeDrainResponseSchema) }, errors: [404] },
  { method: "post", path: "/v2/nodes/{id}/undrain", operationId: "undrainNode", summary: "Undo an operator drain", tag: "nodes", auth: true, pathParams: NodeIdParam, responses: { 200: ok("Undrained", NodeDrainResponseSchema) }, errors: [404] },

  // Pools
  { method: "get", path: "/v2/pools/{id}/health", operationId: "getPoolHealth", summary: "Pool liveness, readiness, draining, last error", tag: "pools", auth: true, pathParams: PoolIdParam, responses: { 200: ok("Health", PoolHealthResponseSchema) }, errors: [404] },
  { method: "post", path: "/v2/pools/{id}/drain", operationId: "drainPool", summary: "Stop new work; finish in-flight work until the deadline", tag: "pools", auth: true, pathParams: PoolIdParam, body: { content: jsonContent(DrainRequestSchema), required: true }, responses: { 202: ok("Draining", PoolCommandAcceptedSchema) }, errors: [400, 404, 503] },
  { method: "post", path: "/v2/pools/{id}/reload", operationId: "reloadPool", summary: "Switch the pool's model: drain, stage, restart, or roll back", tag: "pools", auth: true, pathParams: PoolIdParam, body: { content: jsonContent(PoolReloadRequestSchema), required: true }, responses: { 202: ok("Reload started", PoolCommandAcceptedSchema) }, errors: [400, 404, 409, 503] },
  { method: "post", path: "/v2/pools/{id}/resume", operationId: "resumePool", summary: "Clear an operator drain: the pool takes work again once its worker reports it ready", tag: "pools", auth: true, pathParams: PoolIdParam, responses: { 202: ok("Resume requested", PoolCommandAcceptedSchema) }, errors: [404] },

  // Catalog
  { method: "post", path: "/v2/catalog/models", operationId: "createCatalogModel", summary: "Add a model record to the catalog", tag: "catalog", auth: true, body: { content: jsonContent(CatalogModelV2Schema), required: true }, responses: { 201: ok("Created", CatalogEntrySchema) }, errors: [400, 409, 413, 415] },
  { method: "get", path: "/v2/catalog/models", operationId: "listCatalogModels", summary: "Every model by sha256 (and operator records): names, GGUF facts, state per node", tag: "catalog", auth: true, responses: { 200: ok("Catalog", CatalogModelViewListSchema) } },
  { method: "get", path: "/v2/catalog/models/{id}", operationId: "getCatalogModel", summary: "One model by sha256, sha256:<hex>, listed name or record id (percent-encoded)", tag: "catalog", auth: true, pathParams: CatalogIdParam, responses: { 200: ok("Model", CatalogModelViewSchema) }, errors: [404] },
  { method: "delete", path: "/v2/catalog/models/{id}", operationId: "deleteCatalogModel", summary: "Remove a catalog record and the model's file in the orchestrator's store (copies on nodes stay: remove them per node)", tag: "catalog", auth: true, pathParams: CatalogIdParam, responses: { 204: noContent }, errors: [404] },
  { method: "post", path: "/v2/catalog/models/{id}/verify", operationId: "verifyCatalogModel", summary: "Re-verify the model's digest", tag: "catalog", auth: true, pathParams: CatalogIdParam, responses: { 202: ok("Verification started", CatalogEntrySchema) }, errors: [404] },
  { method: "post", path: "/v2/catalog/models/{id}/state", operationId: "setCatalogModelState", summary: "Set lifecycle Active or Retired", tag: "catalog", auth: true, pathParams: CatalogIdParam, body: { content: jsonContent(CatalogStateRequestSchema), required: true }, responses: { 202: ok("State set", CatalogEntrySchema) }, errors: [400, 404] },
  {
    method: "post", path: "/v2/catalog/models/{id}/stage", operationId: "stageCatalogModel", summary: "Copy a model to nodes (or \"all\" online nodes) from nodes holding a verified copy", tag: "catalog", auth: true,
    pathParams: CatalogIdParam, body: { content: jsonContent(StageModelRequestSchema), required: true },
    responses: { 202: ok("Jobs started (one per target)", StageModelResponseSchema) },
    errors: [400, 404, 413, 415, 503],
  },
  { method: "delete", path: "/v2/catalog/models/{id}/nodes/{node_id}", operationId: "removeModelFromNode", summary: "Delete a model's files from one node, or the partial file a failed or canceled staging job left there (409 while a pool serves it)", tag: "catalog", auth: true, pathParams: { ...CatalogIdParam, node_id: NodeIdSchema }, responses: { 204: noContent }, errors: [404, 409, 503] },
  // Operator-defined model aliases (docs/MODEL_STAGING.md "Aliases"): reading needs `read`, changing needs `admin` (the /v2/catalog rule).
  { method: "post", path: "/v2/catalog/aliases", operationId: "setModelAlias", summary: "Create an alias (201) or point an existing one at another model (200); target: sha256:<hex>, or a model name resolved once to its sha256", tag: "catalog", auth: true, body: { content: jsonContent(CreateModelAliasRequestSchema), required: true }, responses: { 200: ok("Alias repointed", CreatedModelAliasSchema), 201: ok("Alias created", CreatedModelAliasSchema) }, errors: [400, 404, 409, 413, 415] },
  { method: "get", path: "/v2/catalog/aliases", operationId: "listModelAliases", summary: "Every operator alias with its target and whether a node serves it", tag: "catalog", auth: true, responses: { 200: ok("Aliases", ModelAliasListSchema) } },
  { method: "delete", path: "/v2/catalog/aliases/{name}", operationId: "deleteModelAlias", summary: "Delete an alias (percent-encoded name; the model stays); answers the deleted alias", tag: "catalog", auth: true, pathParams: ModelAliasNameParam, responses: { 200: ok("Deleted alias", ModelAliasSchema) }, errors: [400, 404] },
  { method: "get", path: "/v2/catalog/jobs", operationId: "listStagingJobs", summary: "Staging jobs, newest first", tag: "catalog", auth: true, query: StagingJobListQuerySchema, responses: { 200: ok("Jobs", StagingJobListResponseSchema) }, errors: [400] },
  { method: "get", path: "/v2/catalog/jobs/{id}", operationId: "getStagingJob", summary: "One staging job with progress", tag: "catalog", auth: true, pathParams: StagingJobIdParam, responses: { 200: ok("Job", StagingJobSchema) }, errors: [404] },
  { method: "delete", path: "/v2/catalog/jobs/{id}", operationId: "deleteStagingJob", summary: "Cancel a staging job; its partial file is removed", tag: "catalog", auth: true, pathParams: StagingJobIdParam, responses: { 200: ok("Canceled job", StagingJobSchema) }, errors: [404, 409] },
  { method: "post", path: "/v2/catalog/jobs/{id}/cancel", operationId: "cancelStagingJob", summary: "Cancel a staging job (same as DELETE)", tag: "catalog", auth: true, pathParams: StagingJobIdParam, responses: { 200: ok("Canceled job", StagingJobSchema) }, errors: [404, 409] },
  {
    method: "post", path: "/v2/catalog/import", operationId: "importModelFromPath", summary: "Copy a GGUF from a path on the orchestrator host into its store (header checked first, hashed while copied)", tag: "catalog", auth: true,
    body: { content: jsonContent(ImportModelRequestSchema), required: true }, responses: { 201: ok("In the store", StoreModelSchema) }, errors: [400, 404, 413, 415, 507],
  },
  {
    method: "put", path: "/v2/catalog/import", operationId: "uploadModel", summary: "Upload a GGUF as the raw request body (streamed, never buffered) into the orchestrator's store", tag: "catalog", auth: true,
    query: UploadModelQuerySchema, body: { content: { [OCTET_STREAM_MEDIA_TYPE]: null }, required: true }, responses: { 201: ok("In the store", StoreModelSchema) }, errors: [400, 415, 507],
  },
  {
    method: "post", path: "/v2/catalog/pull", operationId: "pullModel", summary: "Pull a GGUF from a hub (hf://owner/repo/file.gguf) or an http(s) URL into the orchestrator's store (Range resume, digest verified), then optionally stage it", tag: "catalog", auth: true,
    body: { content: jsonContent(HubPullRequestSchema), required: true }, responses: { 202: ok("Pull started (or the running pull of that URL)", HubPullSchema) }, errors: [400, 404, 413, 415],
  },
  { method: "get", path: "/v2/catalog/pulls", operationId: "listPulls", summary: "Hub pulls since the orchestrator started, newest first", tag: "catalog", auth: true, responses: { 200: ok("Pulls", HubPullListSchema) } },
  { method: "get", path: "/v2/catalog/pulls/{id}", operationId: "getPull", summary: "One hub pull with progress", tag: "catalog", auth: true, pathParams: StagingJobIdParam, responses: { 200: ok("Pull", HubPullSchema) }, errors: [404] },
  { method: "delete", path: "/v2/catalog/pulls/{id}", operationId: "cancelPull", summary: "Stop a hub pull (its part stays: pulling the same file again resumes); on a failed or canceled pull, remove that part (409 on a completed one)", tag: "catalog", auth: true, pathParams: StagingJobIdParam, responses: { 200: ok("Canceled pull", HubPullSchema) }, errors: [404, 409] },
  { method: "get", path: "/v2/catalog/discovered", operationId: "listDiscoveredModels", summary: "GGUF models in other tools' folders on the orchestrator's machine (LM Studio, Ollama, llama.cpp and Hugging Face caches)", tag: "catalog", auth: true, responses: { 200: ok("Candidates", DiscoveredModelListSchema) } },
  {
    method: "post", path: "/v2/catalog/discovered/use", operationId: "useDiscoveredModel", summary: "Use a discovered model in place (not copied): in the orchestrator's store as a link, or with node_id served by that node (a worker on this machine) from where it is", tag: "catalog", auth: true,
    body: { content: jsonContent(UseDiscoveredRequestSchema), required: true },
    responses: { 201: ok("In the store (a link to the original)", StoreModelSchema), 202: ok("The node serves the file in place; it reports the model once hashed", UsedOnNodeSchema) },
    errors: [400, 404, 413, 415, 503],
  },
  { method: "get", path: "/v2/catalog/store", operationId: "listStoreModels", summary: "Models in the orchestrator's own store (a staging source for every node)", tag: "catalog", auth: true, responses: { 200: ok("Store", StoreModelListSchema) } },
  {
    method: "get", path: "/v2/models/{sha256}/content", operationId: "getStoreModelContent", summary: "A store model's bytes for a staging target (bearer: a staging grant for this model; Range supported)", tag: "catalog", auth: true, scopes: ["worker"],
    pathParams: { sha256: Sha256HexSchema },
    responses: { 200: { description: "The whole file", content: { [OCTET_STREAM_MEDIA_TYPE]: null } }, 206: { description: "The requested range", content: { [OCTET_STREAM_MEDIA_TYPE]: null } } },
    errors: [400, 404],
  },
  { method: "get", path: "/v2/catalog/availability", operationId: "getCatalogAvailability", summary: "Which online nodes hold which models", tag: "catalog", auth: true, responses: { 200: ok("Availability", CatalogAvailabilityResponseSchema) } },

  // Dashboard and administration
  {
    method: "get", path: "/v2/events", operationId: "streamClusterEvents", summary: "Cluster state for the dashboard: snapshot (in pages with ?protocol=2), then node/task/stats/log deltas", tag: "dashboard", auth: true, sse: true,
    query: ClusterEventsQuerySchema, errors: [400],
    responses: { 200: { description: "SSE stream; each frame is `event: <name>` + `data: <json>` as described by ClusterEvent", content: { [SSE_MEDIA_TYPE]: ClusterEventSchema } } },
  },
  { method: "get", path: "/v2/settings", operationId: "getSettings", summary: "Run-time settings", tag: "dashboard", auth: true, responses: { 200: ok("Settings", SettingsSchema) } },
  { method: "put", path: "/v2/settings", operationId: "updateSettings", summary: "Change run-time settings (validated, persisted)", tag: "dashboard", auth: true, body: { content: jsonContent(SettingsUpdateSchema), required: true }, responses: { 200: ok("Settings now in force", SettingsSchema) }, errors: [400, 413, 415] },
  {
    method: "get", path: "/v2/metrics/history", operationId: "getMetricsHistory", summary: "Downsampled history for the Metrics view: cluster aggregates, or one node's CPU/RAM/GPU with ?node=", tag: "dashboard", auth: true,
    query: MetricsHistoryQuerySchema, responses: { 200: ok("Charts for the range", MetricsHistoryResponseSchema) }, errors: [400],
  },
  { method: "get", path: "/v2/logs", operationId: "listLogs", summary: "Recent log and audit lines", tag: "dashboard", auth: true, query: LogListQuerySchema, responses: { 200: ok("Log lines, oldest first", LogListResponseSchema) }, errors: [400] },
  { method: "get", path: "/v2/auth/keys", operationId: "listApiKeys", summary: "API keys (fingerprints only)", tag: "auth", auth: true, responses: { 200: ok("Keys", ApiKeyListResponseSchema) } },
  { method: "post", path: "/v2/auth/keys", operationId: "createApiKey", summary: "Create an API key; the key is shown once", tag: "auth", auth: true, body: { content: jsonContent(CreateApiKeyRequestSchema), required: true }, responses: { 201: ok("Created", CreatedApiKeySchema) }, errors: [400, 413, 415] },
  { method: "put", path: "/v2/auth/keys/{id}/limits", operationId: "setApiKeyLimits", summary: "Set an API key's limits (requests per minute, tokens per UTC day): they become exactly these, a field left out or null is no limit; they apply from its next request", tag: "auth", auth: true, pathParams: { id: z.string().min(1).max(64) }, body: { content: jsonContent(KeyLimitsInputSchema), required: true }, responses: { 200: ok("The key as listed, with its new limits", ApiKeyInfoSchema) }, errors: [400, 404, 409, 413, 415] },
  {
    method: "get", path: "/v2/usage", operationId: "getUsage", summary: "Requests and tokens per credential and UTC day (an inference key sees its own only)", tag: "auth", auth: true, scopes: ["inference", "read"],
    query: UsageQuerySchema, responses: { 200: ok("Usage, newest day first", UsageResponseSchema) }, errors: [400, 403],
  },
  { method: "delete", path: "/v2/auth/keys/{id}", operationId: "revokeApiKey", summary: "Revoke an API key at once", tag: "auth", auth: true, pathParams: { id: z.string().min(1).max(64) }, responses: { 204: noContent }, errors: [404, 409] },
  { method: "post", path: "/v2/auth/join-tokens", operationId: "createJoinToken", summary: "A single-use, short-lived join token for one worker (optionally bound to a node id); shown once", tag: "auth", auth: true, body: { content: jsonContent(CreateJoinTokenRequestSchema), required: true }, responses: { 201: ok("Join token", CreatedJoinTokenSchema) }, errors: [400, 413, 415] },
  { method: "get", path: "/v2/auth/join-tokens", operationId: "listJoinTokens", summary: "Unspent, unexpired join tokens (fingerprints only, never the token)", tag: "auth", auth: true, responses: { 200: ok("Join tokens", JoinTokenListResponseSchema) } },
  { method: "delete", path: "/v2/auth/join-tokens/{id}", operationId: "revokeJoinToken", summary: "Revoke an unspent join token (a spent one is 409: revoke the node's key instead)", tag: "auth", auth: true, pathParams: { id: z.string().min(1).max(64) }, responses: { 204: noContent }, errors: [404, 409] },
  { method: "post", path: "/v2/auth/login-codes", operationId: "createLoginCode", summary: "A one-time dashboard login link", tag: "auth", auth: true, responses: { 201: ok("Login link", LoginCodeResponseSchema) } },

  // Self-test (docs/CLUSTER.md "Self-test"): admin only; one run at a time.
  {
    method: "post", path: "/v2/selftest", operationId: "startSelftest", summary: "Start a bounded self-test of this cluster: router overhead, failure detection (only on the node named in stop_node), queue fairness; one run at a time", tag: "selftest", auth: true, scopes: ["admin"],
    body: { content: jsonContent(SelftestRequestSchema), required: true }, responses: { 202: ok("Started", SelftestRunSchema) }, errors: [400, 404, 409, 413, 415, 503],
  },
  { method: "get", path: "/v2/selftest", operationId: "listSelftests", summary: "Recent self-test runs, newest first (kept in memory)", tag: "selftest", auth: true, scopes: ["admin"], responses: { 200: ok("Runs", SelftestListResponseSchema) } },
  { method: "get", path: "/v2/selftest/{id}", operationId: "getSelftest", summary: "A self-test run's progress and, once it ended, its report", tag: "selftest", auth: true, scopes: ["admin"], pathParams: { id: SelftestIdParamSchema }, responses: { 200: ok("Run", SelftestRunSchema) }, errors: [404] },
  { method: "post", path: "/v2/selftest/{id}/cancel", operationId: "cancelSelftest", summary: "Stop a running self-test; its tasks are canceled and any hung node is waited for before it ends", tag: "selftest", auth: true, scopes: ["admin"], pathParams: { id: SelftestIdParamSchema }, responses: { 200: ok("Run (canceled once it settles)", SelftestRunSchema) }, errors: [404] },

  // Compatible surfaces (OpenAI, Anthropic, Ollama): adapters over the same task path.
  ...OPENAI_ROUTES,
  ...ANTHROPIC_ROUTES,
  ...OLLAMA_ROUTES,
];
