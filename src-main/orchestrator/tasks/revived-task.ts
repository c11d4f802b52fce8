import { isErrorCode } from "../../../src-shared/errors/error-codes.js";
import { isTerminalSseEvent, type SseEvent } from "../../../src-shared/streaming/sse-events.js";
import { TaskStateSchema } from "../../../src-shared/tasks/task-status.js";
import type { TaskJournalRow } from "../db/task-journal.js";
import { taskFromJournal } from "./stored-task.js";
import { TaskEventLog } from "./task-event-log.js";
import type { Task } from "./task.js";

/**
 * A finished task rebuilt from its journal row and the stream the journal kept for it (a keyed
 * result, idempotent-results.ts), so a retry with the same Idempotency-Key follows it exactly as
 * it followed the live task. Null when the row is unfinished, has no stored request, or the events
 * do not end in a terminal event.
 */
export function revivedTask(row: TaskJournalRow, events: readonly SseEvent[]): Task | null {
  const last = events[events.length - 1];
  const state = TaskStateSchema.safeParse(row.state);
  if (row.finished_at_ms === null || last === undefined || !isTerminalSseEvent(last) || !state.success) return null;
  const task = taskFromJournal(row);
  if (task === null) return null;
  task.state = state.data;
  task.started_at_ms = row.started_at_ms;
  task.first_token_at_ms = row.first_token_at_ms;
  task.finished_at_ms = row.finished_at_ms;
  task.node_id = row.node_id;
  task.pool_id = row.pool_id;
  task.tokens_in = row.tokens_in;
  task.tokens_out = row.tokens_out;
  task.stop_reason = last.event === "end" ? (last.data.stop_reason ?? null) : null;
  if (row.error_code !== null && isErrorCode(row.error_code)) task.error = { code: row.error_code, message: row.error_message ?? row.error_code };
  task.events = TaskEventLog.of(events);
  task.events.pack();
  return task;
}
