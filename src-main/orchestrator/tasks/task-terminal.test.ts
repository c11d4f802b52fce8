import { describe, expect, it, vi } from "vitest";
import type { SseEvent } from "../../../src-shared/streaming/sse-events.js";
import type { TaskJournal } from "../db/task-journal.js";
import { createLogger } from "../logging/logger.js";
import { OrchestratorMetrics } from "../metrics/orchestrator-metrics.js";
import { SessionStore } from "../scheduling/session-store.js";
import { TaskEventLog } from "./task-event-log.js";
import { followTask } from "./task-events.js";
import { finishTask, type TaskTerminalDeps } from "./task-terminal.js";
import { TASK_TRACE_OFF } from "./task-trace.js";
import type { Task } from "./task.js";

// The terminal step's order: the journal record, then the one terminal event (a waiting client's answer
// is written from it), then the bookkeeping (metrics, session, throughput, log line).

function runningTask(): Task {
  const task: Task = {
    task_id: "a", session_id: "s", api: "openai-completion", workload: "completion", engine: "llamacpp", priority: "interactive", model_ref: "m",
    model: { id: "m", sha256: "a".repeat(64), name: "m", file_name: "m.gguf", size_bytes: 1, has_chat_template: false },
    generation: { prompt: "x", max_tokens: 4 }, placement: { mode: "auto", allow_fallback: true }, deadline_at_ms: Date.now() + 60_000,
    state: "running", enqueued_at_ms: Date.now(), started_at_ms: Date.now(), first_token_at_ms: Date.now(), finished_at_ms: null, queue_position_at_admission: 0,
    predicted_start_ms: 0, node_id: "n1", pool_id: "n1.p", attempted_nodes: ["n1"], decision: null, tokens_in: null, tokens_out: 2, stop_reason: null, idempotency_key: null, request_fingerprint: null, owner: null,
    error: null, events: new TaskEventLog(), subscribers: new Set(), rewinders: new Map(), tokens_delivered: false, rescues: 0, cancel_requested: false, trace: TASK_TRACE_OFF,
  };
  task.events.push({ event: "started", data: { queue_position: 0, predicted_start_ms: 0, task_id: "a", model: task.model.sha256 } });
  return task;
}

function deps(order: string[]): TaskTerminalDeps {
  const metrics = new OrchestratorMetrics("test");
  const sessions = new SessionStore({ ttlMs: 60_000, maxTurns: 10, tokenBudget: 0 });
  const logger = createLogger("silent", "test");
  vi.spyOn(metrics.tasksCompleted, "inc").mockImplementation(() => void order.push("metrics"));
  vi.spyOn(sessions, "noteCompletion").mockImplementation(() => void order.push("session"));
  vi.spyOn(logger, "info").mockImplementation(() => void order.push("log"));
  const journal = { finished: () => void order.push("journal") } as unknown as TaskJournal;
  return { journal, metrics, sessions, logger, now: Date.now, recordThroughput: () => void order.push("throughput") };
}

const END = { tokens_out: 2, decode_ms: 1, decode_time_ms: 1, stop_reason: "eos" as const, tokens_in: 3 };

describe("finishTask", () => {
  it("writes the journal record, then the terminal event, then metrics, session and the log line", () => {
    const order: string[] = [];
    const task = runningTask();
    followTask(task, (e: SseEvent) => void order.push(`event:${e.event}`), () => undefined);
    expect(finishTask(deps(order), task, { state: "completed", end: END })).toBe(true);
    expect(order).toEqual(["event:started", "journal", "event:end", "metrics", "throughput", "session", "log"]);
  });

  it("still counts the task when a subscriber throws on its terminal event (the error goes to the caller)", () => {
    const order: string[] = [];
    const task = runningTask();
    followTask(task, (e: SseEvent) => {
      if (e.event === "end") throw new Error("renderer bug");
    });
    expect(() => finishTask(deps(order), task, { state: "completed", end: END })).toThrow("renderer bug");
    expect(order).toEqual(["journal", "metrics", "throughput", "session", "log"]);
    expect(task.state).toBe("completed");
    expect(finishTask(deps(order), task, { state: "completed", end: END })).toBe(false);
  });
});
