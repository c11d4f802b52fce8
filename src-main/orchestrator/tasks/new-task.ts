import { TaskEventLog } from "./task-event-log.js";
import { TASK_TRACE_OFF } from "./task-trace.js";
import type { Task } from "./task.js";

/** What a task is when it is admitted; everything else starts empty (not placed, no events). */
export type TaskRequestFields = Pick<
  Task,
  "task_id" | "session_id" | "api" | "workload" | "engine" | "priority" | "model_ref" | "model" | "generation" | "placement" | "deadline_at_ms" | "idempotency_key" | "enqueued_at_ms"
>;

/** A queued task from its request fields: the one place the runtime fields get their start values. */
export function newTask(fields: TaskRequestFields): Task {
  return {
    ...fields,
    state: "queued",
    started_at_ms: null,
    first_token_at_ms: null,
    finished_at_ms: null,
    queue_position_at_admission: 0,
    predicted_start_ms: 0,
    node_id: null,
    pool_id: null,
    attempted_nodes: [],
    decision: null,
    tokens_in: null,
    tokens_out: 0,
    stop_reason: null,
    error: null,
    events: new TaskEventLog(),
    subscribers: new Set(),
    cancel_requested: false,
    trace: TASK_TRACE_OFF,
  };
}
