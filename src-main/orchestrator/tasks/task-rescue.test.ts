import { describe, expect, it } from "vitest";
import type { SseEvent } from "../../../src-shared/streaming/sse-events.js";
import { emitTaskEvent, followTask, outputRetractable, rewindTask } from "./task-events.js";
import { TaskEventLog } from "./task-event-log.js";
import { TASK_TRACE_OFF } from "./task-trace.js";
import type { Task } from "./task.js";

// A rescue discards a failed attempt's output, so it must know whether any client got a token: a
// buffering subscriber (non-streamed answer) can start over, a delivering one (open stream) cannot.
function task(): Task {
  return {
    task_id: "t", session_id: "t", api: "v2", workload: "completion", engine: "llamacpp", priority: "interactive", model_ref: "m",
    model: { id: "m", sha256: "a".repeat(64), name: "m", file_name: "m.gguf", size_bytes: 1, has_chat_template: false },
    generation: { prompt: "x", max_tokens: 8 }, placement: { mode: "auto", allow_fallback: true }, deadline_at_ms: Date.now() + 60_000,
    state: "running", enqueued_at_ms: Date.now(), started_at_ms: null, first_token_at_ms: null, finished_at_ms: null, queue_position_at_admission: 0,
    predicted_start_ms: 0, node_id: null, pool_id: null, attempted_nodes: [], decision: null, tokens_in: null, tokens_out: 0, stop_reason: null, idempotency_key: null, request_fingerprint: null, owner: null,
    error: null, events: new TaskEventLog(), subscribers: new Set(), rewinders: new Map(), tokens_delivered: false, rescues: 0, cancel_requested: false, trace: TASK_TRACE_OFF,
  };
}

function token(t: Task, text: string): void {
  emitTaskEvent(t, { event: "token", data: { t: text, i: t.tokens_out } });
  t.tokens_out++;
  t.first_token_at_ms ??= Date.now();
}

const started: SseEvent = { event: "started", data: { queue_position: 0, predicted_start_ms: 0 } };
const dispatched: SseEvent = { event: "metrics", data: { queue_depth: 0 } };

describe("task output rescue", () => {
  it("a buffering subscriber's tokens can be discarded: the log, the count and its buffer start over, and it sees only the next attempt", () => {
    const t = task();
    emitTaskEvent(t, started);
    emitTaskEvent(t, dispatched);
    let text = "";
    followTask(t, (e) => {
      if (e.event === "token") text += e.data.t;
    }, () => (text = ""));
    token(t, "a");
    token(t, "b");
    emitTaskEvent(t, { event: "metrics", data: { tokens_out: 2 } });
    expect(outputRetractable(t)).toBe(true);
    expect(rewindTask(t)).toBe(2);
    expect(t.tokens_out).toBe(0);
    expect(t.first_token_at_ms).toBeNull();
    expect(text).toBe("");
    // Everything before the first token stays (same event ids for a client that saw them).
    expect([...t.events]).toEqual([started, dispatched]);
    token(t, "c");
    emitTaskEvent(t, { event: "end", data: { tokens_out: 1, decode_ms: 1, decode_time_ms: 1 } });
    expect(text).toBe("c");
    expect([...t.events].filter((e) => e.event === "token").map((e) => e.event === "token" && e.data)).toEqual([{ t: "c", i: 0 }]);
  });

  it("a token that reached a delivering subscriber (an open stream) makes the output final", () => {
    const t = task();
    emitTaskEvent(t, started);
    followTask(t, () => {}, () => {});
    const unfollow = followTask(t, () => {});
    token(t, "a");
    unfollow();
    expect(outputRetractable(t)).toBe(false);
  });

  it("a stream that joins later and replays a token makes the output final too; one that left before any token does not", () => {
    const early = task();
    emitTaskEvent(early, started);
    followTask(early, () => {})();
    token(early, "a");
    expect(outputRetractable(early)).toBe(true);
    followTask(early, () => {});
    expect(outputRetractable(early)).toBe(false);
  });

  it("a task with nobody following (a /v2 task nobody streams) can be rescued; a finished one cannot", () => {
    const t = task();
    emitTaskEvent(t, started);
    token(t, "a");
    expect(outputRetractable(t)).toBe(true);
    emitTaskEvent(t, { event: "end", data: { tokens_out: 1, decode_ms: 1, decode_time_ms: 1 } });
    expect(outputRetractable(t)).toBe(false);
  });

  it("a packed (finished) log refuses to rewind", () => {
    const log = TaskEventLog.of([started, { event: "token", data: { t: "a", i: 0 } }]);
    log.pack();
    expect(() => log.truncateAtFirstToken()).toThrow();
  });
});
