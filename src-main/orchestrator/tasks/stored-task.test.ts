import { afterEach, describe, expect, it, vi } from "vitest";
import { steadyNow } from "../../../src-node/steady-clock.js";
import { storedTaskJson } from "./stored-task.js";
import { TaskEventLog } from "./task-event-log.js";
import { TASK_TRACE_OFF } from "./task-trace.js";
import type { Task } from "./task.js";

// A task's deadline lives on this run's steady clock (a wall-clock step must not expire it) but is
// journaled as a wall-clock time, the only clock a later run shares. The steady clock can lag the wall
// clock (the monotonic clock stops while the host sleeps); journaled as it is, a queued task revived
// after a restart on a laptop that had slept would read its deadline as past and fail DEADLINE_UNMET.
function queuedTask(deadlineAtMs: number): Task {
  return {
    task_id: "a", session_id: "s", api: "v2", workload: "completion", engine: "llamacpp", priority: "interactive", model_ref: "m",
    model: { id: "m", sha256: "a".repeat(64), name: "m", file_name: "m.gguf", size_bytes: 1, has_chat_template: false },
    generation: { prompt: "x", max_tokens: 4 }, placement: { mode: "auto", allow_fallback: true }, deadline_at_ms: deadlineAtMs,
    state: "queued", enqueued_at_ms: Date.now(), started_at_ms: null, first_token_at_ms: null, finished_at_ms: null, queue_position_at_admission: 0,
    predicted_start_ms: 0, node_id: null, pool_id: null, attempted_nodes: [], decision: null, tokens_in: null, tokens_out: 0, stop_reason: null, idempotency_key: null, request_fingerprint: null, owner: null,
    error: null, events: new TaskEventLog(), subscribers: new Set(), rewinders: new Map(), tokens_delivered: false, rescues: 0, cancel_requested: false, trace: TASK_TRACE_OFF,
  };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("a journaled task's deadline", () => {
  it("is written as wall-clock time, also when this run's steady clock lags the wall clock by an hour", () => {
    const origin = performance.timeOrigin;
    vi.spyOn(performance, "timeOrigin", "get").mockReturnValue(origin - 3_600_000);
    const json = JSON.parse(storedTaskJson(queuedTask(steadyNow() + 60_000))) as { deadline_at_ms: number };
    expect(Math.abs(json.deadline_at_ms - (Date.now() + 60_000))).toBeLessThan(1000);
  });
});
