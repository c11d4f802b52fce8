import { describe, expect, it } from "vitest";
import { OrchestratorConfigSchema } from "../../../src-shared/config/orchestrator-config.js";
import type { SseEvent } from "../../../src-shared/streaming/sse-events.js";
import { SessionStore } from "../admission/session-store.js";
import { openDatabase } from "../db/database.js";
import { NodeStore } from "../db/node-store.js";
import { PoolDesiredStore } from "../db/pool-desired-store.js";
import { TaskJournal } from "../db/task-journal.js";
import { createLogger } from "../logging/logger.js";
import { OrchestratorMetrics } from "../metrics/orchestrator-metrics.js";
import { NodeRegistry } from "../registry/node-registry.js";
import { PoolDesiredState } from "../registry/pool-desired-state.js";
import { Dispatcher } from "./dispatcher.js";
import { followTask } from "./task-events.js";
import type { Task } from "./task.js";

// The journal is the one boundary replaced here (a disk that fails); everything else is real.
function setup(journalFails: { accepted?: boolean; finished?: boolean }, capacity = 2) {
  const db = openDatabase(":memory:");
  const real = new TaskJournal(db);
  const journal = Object.assign(Object.create(TaskJournal.prototype) as TaskJournal, {
    accepted: (t: Task) => (journalFails.accepted ? (() => { throw new Error("disk full"); })() : real.accepted(t)),
    finished: (t: Task) => (journalFails.finished ? (() => { throw new Error("disk full"); })() : real.finished(t)),
    has: (id: string) => real.has(id),
  });
  const config = OrchestratorConfigSchema.parse({ data_dir: "/nonexistent", admission_capacity: capacity, admission_policy: "drop-lru" });
  const dispatcher = new Dispatcher({
    config: () => config,
    registry: new NodeRegistry(new NodeStore(db), new PoolDesiredState(new PoolDesiredStore(db))),
    sessions: new SessionStore({ ttlMs: 60_000, maxTurns: 10, tokenBudget: 0 }),
    journal,
    metrics: new OrchestratorMetrics("test"),
    logger: createLogger("silent", "test"),
    workerToken: () => "t".repeat(32),
  });
  return { dispatcher, journalFails };
}

function task(id: string, priority: "interactive" | "batch" = "batch"): Task {
  return {
    task_id: id, session_id: id, api: "v2", workload: "completion", engine: "llamacpp", priority, model_ref: "m",
    model: { id: "m", sha256: "a".repeat(64), name: "m", file_name: "m.gguf", size_bytes: 1, has_chat_template: false },
    generation: { prompt: "x", max_tokens: 4 }, placement: { mode: "auto", allow_fallback: true }, deadline_at_ms: Date.now() + 60_000,
    state: "queued", enqueued_at_ms: Date.now(), started_at_ms: null, first_token_at_ms: null, finished_at_ms: null, queue_position_at_admission: 0,
    predicted_start_ms: 0, node_id: null, pool_id: null, attempted_nodes: [], decision: null, tokens_in: null, tokens_out: 0, stop_reason: null,
    error: null, events: [], subscribers: new Set(), upstream: null, cancel_requested: false,
  };
}

describe("Dispatcher with a failing disk", () => {
  it("refuses a task whose journal write fails and leaves the queue as it was (a drop-lru victim is put back)", () => {
    const { dispatcher, journalFails } = setup({});
    dispatcher.admit(task("a"));
    dispatcher.admit(task("b"));
    journalFails.accepted = true;
    expect(() => dispatcher.admit(task("c"))).toThrow("disk full");
    expect(dispatcher.queue.items().map((t) => t.task_id)).toEqual(["a", "b"]);
    expect(dispatcher.get("c")).toBeUndefined();
    expect(dispatcher.get("a")?.events.map((e) => e.event)).toEqual(["started"]);
  });

  it("still gives every task exactly one terminal event when the terminal journal write fails", () => {
    const { dispatcher } = setup({ finished: true });
    const t = task("a");
    dispatcher.admit(t);
    const seen: SseEvent[] = [];
    followTask(t, (e) => seen.push(e));
    expect(dispatcher.cancel("a", "client")).toBe(true);
    expect(dispatcher.cancel("a", "client")).toBe(false);
    expect(seen.map((e) => e.event)).toEqual(["started", "end"]);
    expect(seen[1]).toMatchObject({ data: { canceled: true } });
  });
});
