import type { z } from "zod";
import { AvailabilityModelSchema, AvailabilityNodeSchema, AvailabilityPoolSchema, CatalogAvailabilityResponseSchema } from "../catalog/availability.js";
import { CatalogEntrySchema, CatalogListResponseSchema, CatalogModelV2Schema, CatalogStateRequestSchema, TrustPolicySchema } from "../catalog/catalog-model.js";
import { CreateModelAliasRequestSchema, CreatedModelAliasSchema, ModelAliasListSchema, ModelAliasSchema } from "../models/model-alias.js";
import { CatalogModelViewListSchema, CatalogModelViewSchema, GgufFactsSchema, NodePlacementSchema } from "../catalog/catalog-view.js";
import { ErrorCodeSchema, ErrorEnvelopeSchema } from "../errors/error-envelope.js";
import { CreateJoinTokenRequestSchema, CreatedJoinTokenSchema, JoinNodeRequestSchema, JoinNodeResponseSchema, JoinTokenInfoSchema, JoinTokenListResponseSchema } from "../auth/join-tokens.js";
import { ApiKeyInfoSchema, ApiKeyListResponseSchema, CreateApiKeyRequestSchema, CreatedApiKeySchema, LoginCodeResponseSchema, NodeDrainResponseSchema } from "../dashboard/api-keys.js";
import { KeyLimitsInputSchema, KeyLimitsSchema } from "../auth/key-limits.js";
import { KeyUsageDaySchema, UsageCountsSchema, UsageResponseSchema } from "../dashboard/key-usage.js";
import { ClusterEventSchema, ClusterSnapshotSchema, ClusterStatsSchema, LogEntrySchema, LogListResponseSchema, NodeDetailSchema, NodeEventSchema } from "../dashboard/cluster-events.js";
import { SettingsSchema, SettingsUpdateSchema } from "../dashboard/settings.js";
import { MetricsChartSchema, MetricsHistoryResponseSchema, MetricsSeriesSchema } from "../dashboard/metrics-history.js";
import { GpuTelemetrySchema, HostTelemetrySchema } from "../nodes/host-telemetry.js";
import { ReadinessResponseSchema } from "../meta/readiness.js";
import { CapabilitiesResponseSchema, EngineCapabilitySchema, OrchestratorHealthResponseSchema, VersionResponseSchema } from "../meta/capabilities.js";
import { LoadedModelSchema, ModelInventoryEntrySchema } from "../models/model-inventory.js";
import { GpuInfoSchema, NodeCapabilitiesSchema } from "../nodes/gpu-capabilities.js";
import { HeartbeatRequestSchema, HeartbeatResponseSchema } from "../nodes/heartbeat.js";
import { NodeInfoSchema, NodeListResponseSchema, NodeStatusSchema } from "../nodes/node-info.js";
import { RegisterNodeRequestSchema, RegisterNodeResponseSchema } from "../nodes/node-registration.js";
import { PoolSnapshotSchema } from "../nodes/pool-snapshot.js";
import { ChatCompletionChunkSchema, ChatCompletionRequestSchema, ChatCompletionResponseSchema, OpenAiChatMessageSchema } from "../openai/chat-completions.js";
import { CompletionChunkSchema, CompletionRequestSchema, CompletionResponseSchema } from "../openai/completions.js";
import { EmbeddingRequestSchema, EmbeddingResponseSchema } from "../openai/embeddings.js";
import { OllamaEmbedRequestSchema, OllamaEmbedResponseSchema, OllamaLegacyEmbeddingsRequestSchema, OllamaLegacyEmbeddingsResponseSchema } from "../ollama/ollama-embed.js";
import { UsageSchema } from "../openai/openai-common.js";
import { OpenAiErrorSchema } from "../openai/openai-error.js";
import { OpenAiModelListSchema, OpenAiModelSchema } from "../openai/openai-models.js";
import { ResponseObjectSchema, ResponsesInputMessageSchema, ResponsesOutputMessageSchema, ResponsesRequestSchema, ResponsesStreamEventSchema, ResponsesUsageSchema } from "../openai/responses.js";
import { AnthropicErrorSchema } from "../anthropic/anthropic-error.js";
import { AnthropicModelListSchema, AnthropicModelSchema, ModelListResponseSchema, ModelResponseSchema } from "../anthropic/anthropic-models.js";
import { RerankRequestSchema, RerankResponseSchema } from "../rerank/rerank.js";
import { AnthropicCountTokensRequestSchema, AnthropicCountTokensResponseSchema, AnthropicMessageParamSchema, AnthropicMessageSchema, AnthropicMessagesRequestSchema, AnthropicStreamEventSchema } from "../anthropic/messages.js";
import { OllamaErrorSchema } from "../ollama/ollama-error.js";
import { OllamaCopyRequestSchema, OllamaModelDetailsSchema, OllamaModelManagementRequestSchema, OllamaModelSchema, OllamaPsResponseSchema, OllamaPullRequestSchema, OllamaPullStatusSchema, OllamaRunningModelSchema, OllamaShowRequestSchema, OllamaShowResponseSchema, OllamaTagsResponseSchema, OllamaVersionResponseSchema } from "../ollama/ollama-models.js";
import { OllamaChatMessageSchema, OllamaChatRequestSchema, OllamaGenerateRequestSchema, OllamaOptionsSchema } from "../ollama/ollama-requests.js";
import { OllamaChatResponseSchema, OllamaGenerateResponseSchema } from "../ollama/ollama-responses.js";
import { PoolHealthResponseSchema, PoolReloadRequestSchema } from "../pools/pool-health.js";
import { SessionInfoSchema } from "../sessions/session.js";
import {
  SseEmbeddingDataSchema,
  SseEndDataSchema,
  SseErrorDataSchema,
  SseEventSchema,
  SseMetricsDataSchema,
  SseStartedDataSchema,
  SseTokenDataSchema,
  StopReasonSchema,
} from "../streaming/sse-events.js";
import { AdmissionResponseV2Schema, PreparationStepSchema } from "../tasks/admission.js";
import { PlacementCandidateSchema, PlacementExplanationSchema, PlacementOverridesSchema } from "../tasks/placement.js";
import { ModelPullRequestSchema, ModelPullStatusSchema } from "../staging/model-pull.js";
import { DiscoveredModelListSchema, DiscoveredModelSchema, UseDiscoveredRequestSchema, UsedOnNodeSchema } from "../catalog/discovered-model.js";
import { InPlaceModelRequestSchema, InPlaceModelResponseSchema } from "../worker-api/in-place-model.js";
import { HubPullListSchema, HubPullRequestSchema, HubPullSchema } from "../catalog/hub-pull.js";
import { ImportModelRequestSchema, StoreModelListSchema, StoreModelSchema } from "../catalog/store-model.js";
import { StageModelRequestSchema, StageModelResponseSchema, StagingJobListResponseSchema, StagingJobSchema } from "../staging/staging-job.js";
import { TaskRequestV2Schema } from "../tasks/task-request.js";
import { TaskListResponseSchema, TaskStateSchema, TaskStatusSchema, TaskTimingsSchema } from "../tasks/task-status.js";
import { ChatMessageSchema } from "../worker-api/chat-message.js";
import { ModelInventoryResponseSchema, ModelReceiveResponseSchema } from "../worker-api/model-transfer.js";
import { DrainRequestSchema, PoolCommandAcceptedSchema, WorkerReloadRequestSchema } from "../worker-api/pool-commands.js";
import { SimulatedHangAcceptedSchema, SimulatedHangRequestSchema } from "../worker-api/simulated-hang.js";
import { DetectionResultSchema, FairnessResultSchema, LatencySummarySchema, OverheadResultSchema, SelftestListResponseSchema, SelftestReportSchema, SelftestRequestSchema, SelftestRunSchema } from "../selftest/selftest.js";
import { PoolStateSchema, PoolStatusListResponseSchema, PoolStatusSchema } from "../worker-api/pool-status.js";
import { PoolDiagnosticsSchema } from "../worker-api/pool-diagnostics.js";
import { WorkerHealthResponseSchema } from "../worker-api/worker-health.js";
import { WorkerInferRequestSchema } from "../worker-api/worker-infer.js";

/**
 * Named schemas of the contract: each becomes components.schemas.<name> and is $ref'd wherever it
 * appears. Request and response bodies must be listed here; a document only includes the ones its
 * routes reach.
 */
export const CONTRACT_COMPONENTS: Readonly<Record<string, z.ZodType>> = {
  ErrorCode: ErrorCodeSchema,
  ErrorEnvelope: ErrorEnvelopeSchema,

  ClusterEvent: ClusterEventSchema,
  ClusterSnapshot: ClusterSnapshotSchema,
  ClusterStats: ClusterStatsSchema,
  LogEntry: LogEntrySchema,
  LogListResponse: LogListResponseSchema,
  MetricsHistoryResponse: MetricsHistoryResponseSchema,
  MetricsChart: MetricsChartSchema,
  MetricsSeries: MetricsSeriesSchema,
  NodeEvent: NodeEventSchema,
  NodeDetail: NodeDetailSchema,
  NodeDrainResponse: NodeDrainResponseSchema,
  Settings: SettingsSchema,
  SettingsUpdate: SettingsUpdateSchema,
  ApiKeyInfo: ApiKeyInfoSchema,
  ApiKeyListResponse: ApiKeyListResponseSchema,
  CreateApiKeyRequest: CreateApiKeyRequestSchema,
  KeyLimits: KeyLimitsSchema,
  KeyLimitsInput: KeyLimitsInputSchema,
  UsageCounts: UsageCountsSchema,
  KeyUsageDay: KeyUsageDaySchema,
  UsageResponse: UsageResponseSchema,
  CreatedApiKey: CreatedApiKeySchema,
  LoginCodeResponse: LoginCodeResponseSchema,
  CreateJoinTokenRequest: CreateJoinTokenRequestSchema,
  CreatedJoinToken: CreatedJoinTokenSchema,
  JoinNodeRequest: JoinNodeRequestSchema,
  JoinNodeResponse: JoinNodeResponseSchema,
  JoinTokenInfo: JoinTokenInfoSchema,
  JoinTokenListResponse: JoinTokenListResponseSchema,
  OpenAiError: OpenAiErrorSchema,

  SseEvent: SseEventSchema,
  SseStartedData: SseStartedDataSchema,
  SseTokenData: SseTokenDataSchema,
  SseMetricsData: SseMetricsDataSchema,
  SseEmbeddingData: SseEmbeddingDataSchema,
  SseEndData: SseEndDataSchema,
  SseErrorData: SseErrorDataSchema,
  StopReason: StopReasonSchema,

  ModelInventoryEntry: ModelInventoryEntrySchema,
  LoadedModel: LoadedModelSchema,
  GpuInfo: GpuInfoSchema,
  HostTelemetry: HostTelemetrySchema,
  GpuTelemetry: GpuTelemetrySchema,
  NodeCapabilities: NodeCapabilitiesSchema,
  PoolSnapshot: PoolSnapshotSchema,
  RegisterNodeRequest: RegisterNodeRequestSchema,
  RegisterNodeResponse: RegisterNodeResponseSchema,
  HeartbeatRequest: HeartbeatRequestSchema,
  HeartbeatResponse: HeartbeatResponseSchema,
  NodeStatus: NodeStatusSchema,
  NodeInfo: NodeInfoSchema,
  NodeListResponse: NodeListResponseSchema,

  WorkerHealthResponse: WorkerHealthResponseSchema,
  PoolState: PoolStateSchema,
  PoolStatus: PoolStatusSchema,
  PoolStatusListResponse: PoolStatusListResponseSchema,
  PoolDiagnostics: PoolDiagnosticsSchema,
  ChatMessage: ChatMessageSchema,
  WorkerInferRequest: WorkerInferRequestSchema,
  DrainRequest: DrainRequestSchema,
  SimulatedHangRequest: SimulatedHangRequestSchema,
  SimulatedHangAccepted: SimulatedHangAcceptedSchema,
  SelftestRequest: SelftestRequestSchema,
  SelftestRun: SelftestRunSchema,
  SelftestListResponse: SelftestListResponseSchema,
  SelftestReport: SelftestReportSchema,
  SelftestOverhead: OverheadResultSchema,
  SelftestFairness: FairnessResultSchema,
  SelftestDetection: DetectionResultSchema,
  LatencySummary: LatencySummarySchema,
  WorkerReloadRequest: WorkerReloadRequestSchema,
  PoolCommandAccepted: PoolCommandAcceptedSchema,
  ModelInventoryResponse: ModelInventoryResponseSchema,
  ModelReceiveResponse: ModelReceiveResponseSchema,
  ModelPullRequest: ModelPullRequestSchema,
  ModelPullStatus: ModelPullStatusSchema,

  TaskRequestV2: TaskRequestV2Schema,
  PlacementOverrides: PlacementOverridesSchema,
  AdmissionResponseV2: AdmissionResponseV2Schema,
  PreparationStep: PreparationStepSchema,
  TaskState: TaskStateSchema,
  TaskTimings: TaskTimingsSchema,
  TaskStatus: TaskStatusSchema,
  TaskListResponse: TaskListResponseSchema,
  PlacementExplanation: PlacementExplanationSchema,
  PlacementCandidate: PlacementCandidateSchema,

  SessionInfo: SessionInfoSchema,
  PoolHealthResponse: PoolHealthResponseSchema,
  PoolReloadRequest: PoolReloadRequestSchema,

  CatalogModelV2: CatalogModelV2Schema,
  TrustPolicy: TrustPolicySchema,
  CatalogEntry: CatalogEntrySchema,
  CatalogListResponse: CatalogListResponseSchema,
  CatalogStateRequest: CatalogStateRequestSchema,
  CatalogModelView: CatalogModelViewSchema,
  CatalogModelViewList: CatalogModelViewListSchema,
  CreateModelAliasRequest: CreateModelAliasRequestSchema,
  ModelAlias: ModelAliasSchema,
  CreatedModelAlias: CreatedModelAliasSchema,
  ModelAliasList: ModelAliasListSchema,
  GgufFacts: GgufFactsSchema,
  NodePlacement: NodePlacementSchema,
  StageModelRequest: StageModelRequestSchema,
  StageModelResponse: StageModelResponseSchema,
  StagingJob: StagingJobSchema,
  StoreModel: StoreModelSchema,
  HubPull: HubPullSchema,
  DiscoveredModel: DiscoveredModelSchema,
  DiscoveredModelList: DiscoveredModelListSchema,
  UseDiscoveredRequest: UseDiscoveredRequestSchema,
  UsedOnNode: UsedOnNodeSchema,
  InPlaceModelRequest: InPlaceModelRequestSchema,
  InPlaceModelResponse: InPlaceModelResponseSchema,
  HubPullList: HubPullListSchema,
  HubPullRequest: HubPullRequestSchema,
  StoreModelList: StoreModelListSchema,
  ImportModelRequest: ImportModelRequestSchema,
  StagingJobListResponse: StagingJobListResponseSchema,
  CatalogAvailabilityResponse: CatalogAvailabilityResponseSchema,
  AvailabilityNode: AvailabilityNodeSchema,
  AvailabilityPool: AvailabilityPoolSchema,
  AvailabilityModel: AvailabilityModelSchema,

  CapabilitiesResponse: CapabilitiesResponseSchema,
  EngineCapability: EngineCapabilitySchema,
  VersionResponse: VersionResponseSchema,
  OrchestratorHealthResponse: OrchestratorHealthResponseSchema,
  ReadinessResponse: ReadinessResponseSchema,

  OpenAiModel: OpenAiModelSchema,
  OpenAiModelList: OpenAiModelListSchema,
  AnthropicModel: AnthropicModelSchema,
  AnthropicModelList: AnthropicModelListSchema,
  ModelListResponse: ModelListResponseSchema,
  ModelResponse: ModelResponseSchema,
  OpenAiChatMessage: OpenAiChatMessageSchema,
  ChatCompletionRequest: ChatCompletionRequestSchema,
  ChatCompletionResponse: ChatCompletionResponseSchema,
  ChatCompletionChunk: ChatCompletionChunkSchema,
  CompletionRequest: CompletionRequestSchema,
  CompletionResponse: CompletionResponseSchema,
  CompletionChunk: CompletionChunkSchema,
  EmbeddingRequest: EmbeddingRequestSchema,
  EmbeddingResponse: EmbeddingResponseSchema,
  Usage: UsageSchema,
  ResponsesRequest: ResponsesRequestSchema,
  ResponsesInputMessage: ResponsesInputMessageSchema,
  ResponseObject: ResponseObjectSchema,
  ResponsesOutputMessage: ResponsesOutputMessageSchema,
  ResponsesUsage: ResponsesUsageSchema,
  ResponsesStreamEvent: ResponsesStreamEventSchema,

  RerankRequest: RerankRequestSchema,
  RerankResponse: RerankResponseSchema,
  AnthropicError: AnthropicErrorSchema,
  AnthropicMessagesRequest: AnthropicMessagesRequestSchema,
  AnthropicMessageParam: AnthropicMessageParamSchema,
  AnthropicMessage: AnthropicMessageSchema,
  AnthropicStreamEvent: AnthropicStreamEventSchema,
  AnthropicCountTokensRequest: AnthropicCountTokensRequestSchema,
  AnthropicCountTokensResponse: AnthropicCountTokensResponseSchema,

  OllamaError: OllamaErrorSchema,
  OllamaCopyRequest: OllamaCopyRequestSchema,
  OllamaOptions: OllamaOptionsSchema,
  OllamaChatMessage: OllamaChatMessageSchema,
  OllamaChatRequest: OllamaChatRequestSchema,
  OllamaGenerateRequest: OllamaGenerateRequestSchema,
  OllamaChatResponse: OllamaChatResponseSchema,
  OllamaGenerateResponse: OllamaGenerateResponseSchema,
  OllamaEmbedRequest: OllamaEmbedRequestSchema,
  OllamaEmbedResponse: OllamaEmbedResponseSchema,
  OllamaLegacyEmbeddingsRequest: OllamaLegacyEmbeddingsRequestSchema,
  OllamaLegacyEmbeddingsResponse: OllamaLegacyEmbeddingsResponseSchema,
  OllamaModelDetails: OllamaModelDetailsSchema,
  OllamaModel: OllamaModelSchema,
  OllamaTagsResponse: OllamaTagsResponseSchema,
  OllamaRunningModel: OllamaRunningModelSchema,
  OllamaPsResponse: OllamaPsResponseSchema,
  OllamaShowRequest: OllamaShowRequestSchema,
  OllamaShowResponse: OllamaShowResponseSchema,
  OllamaVersionResponse: OllamaVersionResponseSchema,
  OllamaPullRequest: OllamaPullRequestSchema,
  OllamaPullStatus: OllamaPullStatusSchema,
  OllamaModelManagementRequest: OllamaModelManagementRequestSchema,
};
