import { ERROR_CODES, isErrorCode } from "../../../src-shared/errors/error-codes.js";
import { StopReasonSchema, type SseEvent, type StopReason } from "../../../src-shared/streaming/sse-events.js";
import type { TaskJournalRow } from "../db/task-journal.js";

/** The one terminal event a finished journal row stands for. */
export function outcomeEvent(row: TaskJournalRow): SseEvent {
  if (row.state === "failed") {
    const code = row.error_code !== null && isErrorCode(row.error_code) ? row.error_code : "INTERNAL";
    return { event: "error", data: { code, message: row.error_message ?? "the task failed", retriable: ERROR_CODES[code].retriable } };
  }
  const decodeMs = row.first_token_at_ms !== null && row.finished_at_ms !== null ? Math.max(0, row.finished_at_ms - row.first_token_at_ms) : 0;
  return {
    event: "end",
    data: {
      tokens_out: row.tokens_out,
      decode_ms: decodeMs,
      decode_time_ms: decodeMs,
      ...(row.state === "canceled" ? { canceled: true, stop_reason: "canceled" as const } : stopReasonOf(row)),
      tokens_in: row.tokens_in,
    },
  };
}

/** The stop reason journaled with the task (rows finished before it was journaled have none). */
function stopReasonOf(row: TaskJournalRow): { stop_reason?: StopReason } {
  const parsed = StopReasonSchema.safeParse(row.stop_reason);
  return parsed.success ? { stop_reason: parsed.data } : {};
}
