import type { SseEvent } from "../../../src-shared/streaming/sse-events.js";
import type { Engine, Priority, Workload } from "../../../src-shared/tasks/task-request.js";
import type { TaskState } from "../../../src-shared/tasks/task-status.js";
import type { Generation } from "../../../src-shared/tasks/generation.js";
import type { ErrorCode } from "../../../src-shared/errors/error-codes.js";
import type { StopReason } from "../../../src-shared/streaming/sse-events.js";
import type { PlacementDecision, PlacementRequest, StoredPlacementDecision } from "../placement/placement-types.js";
import type { ResolvedModel } from "../catalog/model-resolver.js";
import type { SchedulableTask } from "../scheduling/schedulable-task.js";
import type { TaskEventLog } from "./task-event-log.js";
import type { TaskTrace } from "./task-trace.js";

/** Which API accepted the task (the compatible surfaces reuse the same admission and dispatch). */
export const TASK_APIS = ["v2", "openai-chat", "openai-completion", "openai-responses", "anthropic-messages", "anthropic-count-tokens", "ollama-chat", "ollama-generate", "openai-embeddings", "ollama-embed", "rerank"] as const;
export type TaskApi = (typeof TASK_APIS)[number];

export type TaskGeneration = Generation;

/** Everything the orchestrator knows about one accepted task while it is in memory. */
export interface Task extends SchedulableTask {
  task_id: string;
  session_id: string;
  api: TaskApi;
  workload: Workload;
  engine: Engine;
  priority: Priority;
  model_ref: string;
  model: ResolvedModel;
  generation: TaskGeneration;
  placement: Omit<PlacementRequest, "model_sha256" | "model_size_bytes" | "session_pool_id" | "exclude_nodes">;
  deadline_at_ms: number;
  /** The client's Idempotency-Key, if it sent one: a retry with the same key finds this task. */
  idempotency_key: string | null;
  /** For a keyed task: what its request asked for (request-fingerprint.ts); a retry must match it. Null otherwise or in rows written before. */
  request_fingerprint: string | null;
  /**
   * The credential that admitted it (`Identity.credentialId`): only that credential, or one with
   * the admin or read scope, may see, follow or cancel it. Null for tasks journaled before owners.
   */
  owner: string | null;
  state: TaskState;
  enqueued_at_ms: number;
  started_at_ms: number | null;
  first_token_at_ms: number | null;
  finished_at_ms: number | null;
  queue_position_at_admission: number;
  predicted_start_ms: number;
  node_id: string | null;
  pool_id: string | null;
  /** Nodes a dispatch was attempted on, in order. */
  attempted_nodes: string[];
  /** A finished task past the newest FINISHED_EXPLAINED_KEPT keeps only the decision's summary (task-table.ts). */
  decision: PlacementDecision | StoredPlacementDecision | null;
  tokens_in: number | null;
  tokens_out: number;
  stop_reason: StopReason | null;
  error: { code: ErrorCode; message: string } | null;
  /** Events so far, replayed to late subscribers; bounded by max_tokens (packed once the task finished). */
  events: TaskEventLog;
  subscribers: Set<(event: SseEvent) => void>;
  /**
   * Subscribers that only buffer the output until the terminal event (a non-streamed answer), with
   * how each discards what it buffered: a rescue may rewind them. Every other subscriber delivers.
   */
  rewinders: Map<(event: SseEvent) => void, () => void>;
  /** A token reached a subscriber that delivers it (an open stream): the output can no longer be taken back. */
  tokens_delivered: boolean;
  /** Attempts whose partial output was discarded and the task placed again (bounded by rescue_attempts). */
  rescues: number;
  cancel_requested: boolean;
  /** Who asked for the cancel (unset when the worker ended the task as canceled, e.g. a pool drain). */
  cancel_reason?: CancelReason;
  /** Its spans (TASK_TRACE_OFF unless tracing is configured). */
  trace: TaskTrace;
  /**
   * The boot its event ids carry when it is not this run's (event-ids.ts): a finished keyed task revived
   * from the journal replays its stream under the ids the live stream had. Unset: this run's boot.
   */
  events_boot?: string;
}

export type CancelReason = "client" | "disconnect" | "operator";
