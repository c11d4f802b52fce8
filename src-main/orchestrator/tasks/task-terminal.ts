import type { Logger } from "pino";
import { ERROR_CODES } from "../../../src-shared/errors/error-codes.js";
import type { SseEndData, SseEvent } from "../../../src-shared/streaming/sse-events.js";
import type { TaskJournal } from "../db/task-journal.js";
import type { OrchestratorMetrics } from "../metrics/orchestrator-metrics.js";
import type { TaskFailure } from "../scheduling/schedulable-task.js";
import type { SessionStore } from "../scheduling/session-store.js";
import { BOOT_ID } from "./event-ids.js";
import { finishedRecord } from "./journal-records.js";
import { emitTaskEvent, hasTerminalEvent } from "./task-events.js";
import type { Task } from "./task.js";

export interface TaskTerminalDeps {
  journal: TaskJournal;
  metrics: OrchestratorMetrics;
  sessions: SessionStore;
  logger: Logger;
  /** A completed task's decode speed (start-time prediction learns from it). */
  recordThroughput(modelSha: string, tokensOut: number, decodeMs: number): void;
  now(): number;
}

export type TaskEnding = { state: "completed" | "canceled"; end: SseEndData | null } | { state: "failed"; failure: TaskFailure };

/**
 * The one place a task reaches its terminal state: journal first, then exactly one terminal event
 * (`end`, or `error` with the table's retriable flag), then metrics, session accounting and the log
 * line. Returns false if the task had already ended, so every caller can call it without checking.
 * The event goes before the bookkeeping so a waiting client's answer is written first; all of it runs
 * in one synchronous turn, so no other request or scrape can see the task ended and not yet counted.
 */
export function finishTask(deps: TaskTerminalDeps, task: Task, ending: TaskEnding): boolean {
  if (hasTerminalEvent(task)) return false;
  const now = deps.now();
  const end = ending.state === "failed" ? null : ending.end;
  task.state = ending.state;
  task.finished_at_ms = now;
  task.tokens_in = end?.tokens_in ?? task.tokens_in;
  // The worker counts generated tokens; its token events can be fewer (a chunk can hold several tokens, a
  // control token a logit_bias forced has no text). Never more than max_tokens, whatever a worker claims.
  if (end !== null) task.tokens_out = Math.max(task.tokens_out, Math.min(end.tokens_out, task.generation.max_tokens));
  task.stop_reason = ending.state === "canceled" ? "canceled" : (end?.stop_reason ?? null);
  if (ending.state === "failed") task.error = { code: ending.failure.code, message: ending.failure.message };
  const decodeMs = task.first_token_at_ms !== null ? now - task.first_token_at_ms : 0;
  const terminal = terminalEvent(task, ending, end, decodeMs);
  try {
    // A keyed task's whole stream goes with its terminal record: a retry after eviction or a restart replays it.
    deps.journal.finished({ ...finishedRecord(task), ...(task.idempotency_key !== null ? { result_events: [...task.events, terminal], result_boot_id: task.events_boot ?? BOOT_ID } : {}) });
  } catch (err) {
    deps.logger.error({ task_id: task.task_id, err }, "task journal write failed");
  }
  try {
    emitTaskEvent(task, terminal);
  } finally {
    // Counted even if a subscriber threw (a renderer's bug must not leave the task uncounted).
    deps.metrics.tasksCompleted.inc({ outcome: ending.state });
    if (task.pool_id !== null && task.tokens_in !== null) deps.metrics.tokensIn.inc({ pool_id: task.pool_id }, task.tokens_in);
    if (ending.state === "completed" && task.pool_id !== null) {
      deps.metrics.decodeLatency.observe({ pool_id: task.pool_id, priority: task.priority }, decodeMs);
      deps.recordThroughput(task.model.sha256, task.tokens_out, end?.decode_time_ms ?? decodeMs);
    }
    deps.sessions.noteCompletion(task.owner, task.session_id, task.node_id && task.pool_id ? { node_id: task.node_id, pool_id: task.pool_id } : null, task.tokens_out, decodeMs);
    deps.logger.info({ task_id: task.task_id, state: ending.state, node_id: task.node_id, pool_id: task.pool_id, tokens_out: task.tokens_out, error: task.error?.code }, "task finished");
  }
  return true;
}

/** The one terminal event: `error` with the table's retriable flag, or `end` with the counts. */
function terminalEvent(task: Task, ending: TaskEnding, end: SseEndData | null, decodeMs: number): SseEvent {
  if (ending.state === "failed") {
    const { code, message, retry_after_ms } = ending.failure;
    return { event: "error", data: { code, message, retriable: ERROR_CODES[code].retriable, ...(retry_after_ms !== undefined ? { retry_after_ms } : {}) } };
  }
  return {
    event: "end",
    data: {
      tokens_out: task.tokens_out,
      decode_ms: end?.decode_ms ?? decodeMs,
      decode_time_ms: end?.decode_time_ms ?? decodeMs,
      ...(ending.state === "canceled" ? { canceled: true } : {}),
      ...(task.stop_reason ? { stop_reason: task.stop_reason } : {}),
      ...(task.first_token_at_ms !== null ? { first_token_ms: task.first_token_at_ms - task.enqueued_at_ms } : {}),
      ...(task.tokens_in !== null ? { tokens_in: task.tokens_in } : {}),
      ...(end?.context_full === true ? { context_full: true } : {}),
      ...(end?.stop_sequence !== undefined ? { stop_sequence: end.stop_sequence } : {}),
    },
  };
}
