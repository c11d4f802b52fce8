import { z } from "zod";
import { queryInteger } from "../common/query-integer.js";
import { EpochMsSchema } from "../common/ids.js";
import { ErrorCodeSchema } from "../errors/error-envelope.js";
import { StopReasonSchema } from "../streaming/sse-events.js";
import { PlacementExplanationSchema } from "./placement.js";
import { EngineSchema, PrioritySchema, WorkloadSchema } from "./task-request.js";

export const TaskStateSchema = z.enum(["queued", "dispatching", "running", "completed", "failed", "canceled"]);
export type TaskState = z.infer<typeof TaskStateSchema>;

export const TERMINAL_TASK_STATES: readonly TaskState[] = ["completed", "failed", "canceled"];

export function isTerminalTaskState(state: TaskState): boolean {
  return TERMINAL_TASK_STATES.includes(state);
}

export const TaskTimingsSchema = z.object({
  enqueued_at_ms: EpochMsSchema,
  started_at_ms: EpochMsSchema.nullable(),
  first_token_at_ms: EpochMsSchema.nullable(),
  finished_at_ms: EpochMsSchema.nullable(),
  queue_wait_ms: z.int().min(0).nullable(),
  first_token_ms: z.int().min(0).nullable(),
  decode_ms: z.int().min(0).nullable(),
});
export type TaskTimings = z.infer<typeof TaskTimingsSchema>;

/** GET /v2/tasks/{id} (and one row of GET /v2/tasks). Never contains prompt or output text. */
export const TaskStatusSchema = z.object({
  task_id: z.string(),
  session_id: z.string(),
  state: TaskStateSchema,
  workload: WorkloadSchema,
  priority: PrioritySchema,
  engine: EngineSchema,
  /** The model_ref as requested, and the sha256 it resolved to once placed. */
  model_ref: z.string(),
  model_sha256: z.string().nullable(),
  node_id: z.string().nullable(),
  pool_id: z.string().nullable(),
  queue_position: z.int().min(0).nullable(),
  /** While queued: expected wait before it starts, from the work ahead and measured tokens/s. */
  predicted_start_ms: z.int().min(0).nullable().optional(),
  timings: TaskTimingsSchema,
  tokens_in: z.int().min(0).nullable(),
  tokens_out: z.int().min(0),
  max_tokens: z.int().min(1),
  stop_reason: StopReasonSchema.nullable(),
  /** Set when state is failed. */
  error: z.object({ code: ErrorCodeSchema, message: z.string() }).nullable(),
  placement: PlacementExplanationSchema.nullable(),
  /** Dispatch attempts (a failure before the first token is retried once elsewhere). */
  attempts: z.int().min(0),
  /** Attempts started over after their worker failed, their output discarded before any client received it (rescue_attempts). */
  rescues: z.int().min(0).optional(),
});
export type TaskStatus = z.infer<typeof TaskStatusSchema>;

/** GET /v2/tasks — the admin queue board, newest first. */
export const TaskListQuerySchema = z.object({
  state: TaskStateSchema.optional(),
  limit: queryInteger(1, 1000).optional(),
});
export type TaskListQuery = z.infer<typeof TaskListQuerySchema>;

export const TaskListResponseSchema = z.object({
  tasks: z.array(TaskStatusSchema),
  queue_depth: z.object({ interactive: z.int().min(0), batch: z.int().min(0) }),
});
export type TaskListResponse = z.infer<typeof TaskListResponseSchema>;

/** GET /v2/tasks/{id}/events query. */
export const TaskEventsQuerySchema = z.object({
  verbose: z.enum(["true", "false"]).optional(),
});
export type TaskEventsQuery = z.infer<typeof TaskEventsQuerySchema>;
