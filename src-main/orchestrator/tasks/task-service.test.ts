import { describe, expect, it } from "vitest";
import { TASK_TRACE_OFF } from "./task-trace.js";
import { TaskEventLog } from "./task-event-log.js";
import { OrchestratorConfigSchema } from "../../../src-shared/config/orchestrator-config.js";
import type { SseEvent } from "../../../src-shared/streaming/sse-events.js";
import { SessionStore } from "../scheduling/session-store.js";
import { openDatabase } from "../db/database.js";
import { NodeStore } from "../db/node-store.js";
import { TaskJournal, type AcceptOutcome, type TaskAcceptedRecord, type TaskFinishedRecord } from "../db/task-journal.js";
import { createLogger } from "../logging/logger.js";
import { OrchestratorMetrics } from "../metrics/orchestrator-metrics.js";
import { NodeRegistry } from "../registry/node-registry.js";
import { WorkerClients } from "../workers/worker-clients.js";
import { PoolDesiredStore } from "../db/pool-desired-store.js";
import { PoolDesiredState } from "../registry/pool-desired-state.js";
import { TaskService } from "./task-service.js";
import { followTask } from "./task-events.js";
import type { Task } from "./task.js";

// The journal is the one boundary replaced here (a disk that fails); everything else is real.
function setup(journalFails: { accepted?: boolean; finished?: boolean }, capacity = 2) {
  const db = openDatabase(":memory:");
  const real = new TaskJournal(db);
  const journal = Object.assign(Object.create(TaskJournal.prototype) as TaskJournal, {
    acceptBatched: (t: TaskAcceptedRecord, settle: (o: AcceptOutcome) => void) => (journalFails.accepted ? settle(new Error("disk full")) : real.acceptBatched(t, settle)),
    flush: () => real.flush(),
    finished: (t: TaskFinishedRecord) => (journalFails.finished ? (() => { throw new Error("disk full"); })() : real.finished(t)),
    has: (id: string) => real.has(id),
  });
  const config = OrchestratorConfigSchema.parse({ data_dir: "/nonexistent", admission_capacity: capacity, admission_policy: "drop-lru" });
  const registry = new NodeRegistry(new NodeStore(db), new PoolDesiredState(new PoolDesiredStore(db)));
  const tasks = new TaskService({
    config: () => config,
    clusterModels: () => [],
    retiredModels: () => new Set(),
    workers: new WorkerClients(() => undefined),
    registry,
    sessions: new SessionStore({ ttlMs: 60_000, maxTurns: 10, tokenBudget: 0 }),
    journal,
    metrics: new OrchestratorMetrics("test"),
    logger: createLogger("silent", "test"),
  });
  return { tasks, journalFails };
}

function task(id: string, priority: "interactive" | "batch" = "batch"): Task {
  return {
    task_id: id, session_id: id, api: "v2", workload: "completion", engine: "llamacpp", priority, model_ref: "m",
    model: { id: "m", sha256: "a".repeat(64), name: "m", file_name: "m.gguf", size_bytes: 1, has_chat_template: false },
    generation: { prompt: "x", max_tokens: 4 }, placement: { mode: "auto", allow_fallback: true }, deadline_at_ms: Date.now() + 60_000,
    state: "queued", enqueued_at_ms: Date.now(), started_at_ms: null, first_token_at_ms: null, finished_at_ms: null, queue_position_at_admission: 0,
    predicted_start_ms: 0, node_id: null, pool_id: null, attempted_nodes: [], decision: null, tokens_in: null, tokens_out: 0, stop_reason: null, idempotency_key: null,
    error: null, events: new TaskEventLog(), subscribers: new Set(), cancel_requested: false, trace: TASK_TRACE_OFF,
  };
}

describe("TaskService with a failing disk", () => {
  it("refuses a task whose journal write fails and leaves the queue as it was (a drop-lru victim is put back)", async () => {
    const { tasks, journalFails } = setup({});
    tasks.enqueue(task("a"));
    tasks.enqueue(task("b"));
    journalFails.accepted = true;
    const c = task("c");
    tasks.enqueue(c);
    await expect(tasks.durable(c)).rejects.toThrow("disk full");
    expect(tasks.scheduler.queued().map((t) => t.task_id)).toEqual(["a", "b"]);
    expect(tasks.get("c")).toBeUndefined();
    expect([...(tasks.get("a")?.events ?? [])].map((e) => e.event)).toEqual(["started"]);
  });

  it("still gives every task exactly one terminal event when the terminal journal write fails", () => {
    const { tasks } = setup({ finished: true });
    const t = task("a");
    tasks.enqueue(t);
    const seen: SseEvent[] = [];
    followTask(t, (e) => seen.push(e));
    expect(tasks.cancel("a", "client")).toBe(true);
    expect(tasks.cancel("a", "client")).toBe(false);
    expect(seen.map((e) => e.event)).toEqual(["started", "end"]);
    expect(seen[1]).toMatchObject({ data: { canceled: true } });
  });
});

describe("TaskService group commit", () => {
  it("commits the accepts of one turn together; a task id the journal already holds is refused at commit and undone", async () => {
    const { tasks } = setup({}, 10);
    const a = task("a");
    const b = task("b");
    tasks.enqueue(a);
    tasks.enqueue(b);
    await Promise.all([tasks.durable(a), tasks.durable(b)]);
    expect(tasks.exists("a")).toBe(true);
    // "a" finished long ago and left memory: only the journal's unique key knows it.
    (tasks as unknown as { table: { remove(id: string): void } }).table.remove("a");
    tasks.scheduler.withdraw(a);
    const again = task("a");
    expect(tasks.exists("a")).toBe(false);
    tasks.enqueue(again);
    await expect(tasks.durable(again)).rejects.toMatchObject({ code: "CONFLICT" });
    expect(tasks.get("a")).toBeUndefined();
    expect(tasks.scheduler.queued().some((t) => t.task_id === "a")).toBe(false);
    expect(tasks.get("b")?.task_id).toBe("b");
  });
});
