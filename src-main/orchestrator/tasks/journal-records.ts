import type { TaskAcceptedRecord, TaskFinishedRecord, TaskPlacedRecord } from "../db/task-journal.js";
import { storedTaskJson } from "./stored-task.js";
import type { Task } from "./task.js";

/** The journal's row at admission, from the runtime task. */
export function acceptedRecord(task: Task): TaskAcceptedRecord {
  return {
    task_id: task.task_id,
    session_id: task.session_id,
    api: task.api,
    model_sha256: task.model.sha256,
    priority: task.priority,
    accepted_at_ms: task.enqueued_at_ms,
    request_json: storedTaskJson(task),
    idempotency_key: task.idempotency_key,
  };
}

/** The journal's row when a task is placed, or back in the queue after a failed attempt. */
export function placedRecord(task: Task): TaskPlacedRecord {
  return { task_id: task.task_id, state: task.state, node_id: task.node_id, pool_id: task.pool_id, started_at_ms: task.started_at_ms };
}

/** The journal's row at the terminal event, from the runtime task. */
export function finishedRecord(task: Task): TaskFinishedRecord {
  return {
    task_id: task.task_id,
    state: task.state,
    started_at_ms: task.started_at_ms,
    first_token_at_ms: task.first_token_at_ms,
    finished_at_ms: task.finished_at_ms,
    node_id: task.node_id,
    pool_id: task.pool_id,
    tokens_in: task.tokens_in ?? 0,
    tokens_out: task.tokens_out,
    error_code: task.error?.code ?? null,
    error_message: task.error?.message ?? null,
    placement_json: task.decision ? JSON.stringify(task.decision) : null,
    stop_reason: task.stop_reason,
    attempts: task.attempted_nodes.length,
    rescues: task.rescues,
  };
}
