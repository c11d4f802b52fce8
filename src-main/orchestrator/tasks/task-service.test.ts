import { createServer as createHttpServer, type Server } from "node:http";
import { createServer, type AddressInfo, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { waitFor } from "../../../test-support/wait-for.js";
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
function setup(journalFails: { accepted?: boolean; finished?: boolean; atCommit?: boolean }, capacity = 2, worker?: { address: string; ready: boolean }, settings: Record<string, unknown> = {}) {
  const db = openDatabase(":memory:");
  const real = new TaskJournal(db);
  const committed: string[] = [];
  const journal = Object.assign(Object.create(TaskJournal.prototype) as TaskJournal, {
    acceptBatched: (t: TaskAcceptedRecord, settle: (o: AcceptOutcome) => void) =>
      journalFails.accepted ? settle(new Error("disk full")) : real.acceptBatched(t, (o) => {
        committed.push(t.task_id);
        // atCommit: the batch's transaction fails when it is written, not when the record joins it.
        settle(journalFails.atCommit === true ? new Error("disk full") : o);
      }),
    placedBatched: (r: Parameters<TaskJournal["placed"]>[0], onError: (err: Error) => void) => real.placedBatched(r, onError),
    flush: () => real.flush(),
    finished: (t: TaskFinishedRecord) => (journalFails.finished ? (() => { throw new Error("disk full"); })() : real.finished(t)),
    has: (id: string) => real.has(id),
    placed: (r: Parameters<TaskJournal["placed"]>[0]) => real.placed(r),
  });
  const config = OrchestratorConfigSchema.parse({ data_dir: "/nonexistent", admission_capacity: capacity, admission_policy: "drop-lru", ...settings });
  const registry = new NodeRegistry(new NodeStore(db), new PoolDesiredState(new PoolDesiredStore(db)));
  const logger = createLogger("silent", "test");
  const tasks = new TaskService({
    config: () => config,
    clusterModels: () => [],
    retiredModels: () => new Set(),
    workers: new WorkerClients((nodeId) => (worker !== undefined && nodeId === "n1" ? { address: worker.address, token: "t", fetch: globalThis.fetch } : undefined)),
    registry,
    sessions: new SessionStore({ ttlMs: 60_000, maxTurns: 10, tokenBudget: 0 }),
    journal,
    metrics: new OrchestratorMetrics("test"),
    logger,
  });
  if (worker !== undefined) {
    // One pool of one slot holding the tasks' model (sha "a…a"); not ready: still loading it.
    registry.register({ node_id: "n1", machine_id: "n1", address: worker.address, pools: ["n1.p"], capabilities: { gpus: [], cpu_cores: 8 }, models: [] });
    registry.heartbeat("n1", { timestamp: new Date().toISOString(), pools: [{ pool_id: "n1.p", ready: worker.ready, draining: false, slots_free: 1, slots_total: 1, vram_free_bytes: 2 ** 30, engine: "llamacpp", models_available: ["a".repeat(64)] }] });
  }
  return { tasks, journalFails, committed, real, logger, registry };
}

function task(id: string, priority: "interactive" | "batch" = "batch"): Task {
  return {
    task_id: id, session_id: id, api: "v2", workload: "completion", engine: "llamacpp", priority, model_ref: "m",
    model: { id: "m", sha256: "a".repeat(64), name: "m", file_name: "m.gguf", size_bytes: 1, has_chat_template: false },
    generation: { prompt: "x", max_tokens: 4 }, placement: { mode: "auto", allow_fallback: true }, deadline_at_ms: Date.now() + 60_000,
    state: "queued", enqueued_at_ms: Date.now(), started_at_ms: null, first_token_at_ms: null, finished_at_ms: null, queue_position_at_admission: 0,
    predicted_start_ms: 0, node_id: null, pool_id: null, attempted_nodes: [], decision: null, tokens_in: null, tokens_out: 0, stop_reason: null, idempotency_key: null, request_fingerprint: null, owner: null,
    error: null, events: new TaskEventLog(), subscribers: new Set(), rewinders: new Map(), tokens_delivered: false, rescues: 0, cancel_requested: false, trace: TASK_TRACE_OFF,
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

describe("TaskService dispatch in the admission's turn", () => {
  // Port 9 (discard) is never connected to: each test cancels its task in the same turn, which aborts the request.
  const worker = (ready: boolean) => ({ address: "http://127.0.0.1:9", ready });

  it("places a task at once when the queue is empty and a slot is free, after its accept is committed", () => {
    const { tasks, committed } = setup({}, 10, worker(true));
    const a = task("a");
    tasks.enqueue(a);
    // Still inside the admission's turn: committed first, then placed and dispatched.
    expect(committed).toEqual(["a"]);
    expect(a.state).toBe("dispatching");
    expect(a.attempted_nodes).toEqual(["n1"]);
    tasks.cancel("a", "client");
  });

  it("leaves a task to the group commit and the next pass when no slot is free (the pool is still loading)", async () => {
    const { tasks, committed } = setup({}, 10, worker(false));
    const a = task("a");
    tasks.enqueue(a);
    expect(committed).toEqual([]); // it joins this turn's batch
    expect(a.state).toBe("queued");
    await tasks.durable(a);
    expect(committed).toEqual(["a"]);
    expect(a.state).toBe("queued");
    tasks.cancel("a", "client");
  });

  it("a second task of the turn, once the one slot is taken, waits for the group commit", async () => {
    const { tasks, committed } = setup({}, 10, worker(true));
    const a = task("a");
    const b = task("b");
    tasks.enqueue(a);
    tasks.enqueue(b);
    expect(a.state).toBe("dispatching");
    expect(b.state).toBe("queued");
    expect(committed).toEqual(["a"]);
    await tasks.durable(b);
    expect(committed).toEqual(["a", "b"]);
    tasks.cancel("a", "client");
    tasks.cancel("b", "client");
  });
});

describe("TaskService dispatch before the accept commits (a client that gets nothing before the end)", () => {
  // A worker that accepts the connection and never answers: the task stays dispatching until the test ends it.
  const sockets = new Set<Socket>();
  const silent = createServer((s) => {
    sockets.add(s);
    s.on("error", () => undefined);
  });
  const worker = { address: "", ready: true };
  beforeAll(async () => {
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    worker.address = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it("dispatches first; the accept and the placement commit together at the end of the turn, in that order", async () => {
    const { tasks, committed, real } = setup({}, 10, worker);
    const a = task("a");
    tasks.enqueue(a, true);
    // Still inside the admission's turn: dispatched, nothing written yet.
    expect(a.state).toBe("dispatching");
    expect(a.attempted_nodes).toEqual(["n1"]);
    expect(committed).toEqual([]);
    await tasks.durable(a);
    expect(committed).toEqual(["a"]);
    // The placement written after the accept (an UPDATE before its INSERT would have changed nothing).
    expect(real.get("a")).toMatchObject({ state: "dispatching", node_id: "n1", pool_id: "n1.p" });
    tasks.cancel("a", "client");
    expect(real.get("a")).toMatchObject({ state: "canceled" });
  });

  it("a terminal write in the same turn flushes the batch first: the journal keeps the order of events", () => {
    const { tasks, real } = setup({}, 10, worker);
    const a = task("a");
    tasks.enqueue(a, true);
    tasks.cancel("a", "client");
    expect(real.get("a")).toMatchObject({ state: "canceled", node_id: "n1" });
  });

  it("stops a dispatched task whose accept fails to commit: one INTERNAL error, the run withdrawn", async () => {
    const { tasks } = setup({ atCommit: true }, 10, worker);
    const a = task("a");
    const seen: SseEvent[] = [];
    followTask(a, (e) => seen.push(e));
    tasks.enqueue(a, true);
    expect(a.state).toBe("dispatching");
    await expect(tasks.durable(a)).rejects.toThrow("disk full");
    expect(a.state).toBe("failed");
    expect(seen.filter((e) => e.event === "end" || e.event === "error")).toEqual([{ event: "error", data: expect.objectContaining({ code: "INTERNAL" }) as unknown }]);
    expect(tasks.activeCount()).toBe(0);
    expect(tasks.cancel("a", "client")).toBe(false);
  });

  it("without a free slot the task waits in the queue and commits with the group, as any other", async () => {
    const { tasks, committed } = setup({}, 10, { ...worker, ready: false });
    const a = task("a");
    tasks.enqueue(a, true);
    expect(a.state).toBe("queued");
    await tasks.durable(a);
    expect(committed).toEqual(["a"]);
    tasks.cancel("a", "client");
  });
});

describe("TaskService ending a task on the worker's end frame", () => {
  // A worker that answers each infer with a whole stream: started, one token, end.
  let server: Server;
  const worker = { address: "", ready: true };
  beforeAll(async () => {
    server = createHttpServer((req, res) => {
      req.resume();
      req.on("end", () => {
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.end('event: started\ndata: {"queue_position":0,"predicted_start_ms":0}\n\nevent: token\ndata: {"t":"hi","i":0}\n\nevent: end\ndata: {"tokens_out":1,"decode_ms":1,"decode_time_ms":1,"stop_reason":"eos"}\n\n');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    worker.address = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it("ends the task with exactly one terminal event, journaled before it, and frees the slot", async () => {
    const { tasks, real } = setup({}, 10, worker);
    const a = task("a");
    const seen: string[] = [];
    followTask(a, (e) => {
      seen.push(e.event);
      if (e.event === "end") seen.push(`journal:${real.get("a")?.state ?? "none"}`);
    });
    tasks.enqueue(a, true);
    await waitFor("the task ended", () => a.state === "completed");
    expect(seen.filter((e) => e !== "metrics")).toEqual(["started", "token", "end", "journal:completed"]);
    await waitFor("the slot freed", () => tasks.activeCount() === 0);
    expect(a.tokens_out).toBe(1);
  });

  it("a subscriber that throws on the end is logged; the task still ends once and its slot is freed for the next", async () => {
    const { tasks, logger } = setup({}, 10, worker);
    const logged = vi.spyOn(logger, "error");
    const a = task("a");
    followTask(a, (e) => {
      if (e.event === "end") throw new Error("renderer bug");
    });
    tasks.enqueue(a, true);
    await waitFor("the task ended", () => a.state === "completed");
    expect(logged).toHaveBeenCalledWith(expect.objectContaining({ task_id: "a", err: expect.objectContaining({ message: "renderer bug" }) as unknown }), "ending a task failed");
    expect([...a.events].filter((e) => e.event === "end" || e.event === "error")).toHaveLength(1);
    const b = task("b");
    tasks.enqueue(b, true);
    await waitFor("the next task ran on the freed slot", () => b.state === "completed");
  });
});

describe("TaskService at a graceful stop (SIGTERM) with queued tasks", () => {
  // Queued: a /v2 task, a compatible surface's request, and one with an Idempotency-Key.
  async function queuedThree(settings: Record<string, unknown>) {
    const { tasks, real } = setup({}, 10, undefined, settings);
    const v2 = task("v2");
    const compat = { ...task("compat"), api: "openai-chat" as const };
    const keyed = { ...task("keyed"), api: "openai-chat" as const, idempotency_key: "tok:retry-1" };
    for (const t of [v2, compat, keyed]) tasks.enqueue(t);
    await Promise.all([v2, compat, keyed].map((t) => tasks.durable(t)));
    const last = (t: Task) => [...t.events].at(-1);
    return { tasks, real, v2, compat, keyed, last };
  }

  it("keep (the default): a /v2 or keyed task stays queued in the journal, unended; a compatible request gets a retriable 503", async () => {
    const { tasks, real, v2, compat, keyed, last } = await queuedThree({});
    await tasks.shutdown(0);
    for (const t of [v2, keyed]) {
      expect(last(t)?.event).toBe("started");
      expect(real.get(t.task_id)).toMatchObject({ state: "queued", finished_at_ms: null });
    }
    expect(last(compat)).toMatchObject({ event: "error", data: { code: "POOL_UNAVAILABLE", retriable: true } });
    expect(real.get("compat")).toMatchObject({ state: "failed", error_code: "POOL_UNAVAILABLE" });
    // The stop closes every connection: a hang-up then does not cancel what the next start runs...
    expect(tasks.cancel("v2", "disconnect")).toBe(false);
    expect(real.get("v2")?.finished_at_ms).toBeNull();
    // ...and the next start finds them where a crash would have left them.
    expect(real.recover(Date.now()).requeue.map((r) => r.task_id).sort()).toEqual(["keyed", "v2"]);
  });

  it("keep: a client's own cancel during the stop still ends the task once", async () => {
    const { tasks, real, v2, last } = await queuedThree({});
    await tasks.shutdown(0);
    expect(tasks.cancel("v2", "client")).toBe(true);
    expect(last(v2)).toMatchObject({ event: "end", data: { canceled: true } });
    expect(real.get("v2")?.state).toBe("canceled");
  });

  it("fail: every queued task ends now with a retriable 503, nothing is left for the next start", async () => {
    const { tasks, real, v2, compat, keyed, last } = await queuedThree({ shutdown_queued_tasks: "fail" });
    await tasks.shutdown(0);
    for (const t of [v2, compat, keyed]) expect(last(t)).toMatchObject({ event: "error", data: { code: "POOL_UNAVAILABLE", retriable: true } });
    expect(real.recover(Date.now()).requeue).toEqual([]);
  });
});

describe("TaskService: the queue closed before the process's own worker stops (headless and desktop shutdown)", () => {
  const worker = { address: "http://127.0.0.1:9", ready: false };
  const queued = () => {
    // A pool still loading its model: the tasks wait for it in the queue.
    const { tasks, real, registry } = setup({}, 10, worker);
    const v2 = task("v2");
    const keyed = { ...task("keyed"), api: "openai-chat" as const, idempotency_key: "tok:retry-1" };
    for (const t of [v2, keyed]) tasks.enqueue(t);
    return { tasks, real, v2, keyed, registry };
  };

  it("without it, the worker's leaving fails every queued task (no node holds the model): the bug a graceful stop had", async () => {
    const { tasks, v2, registry } = queued();
    await tasks.durable(v2);
    registry.deregister("n1");
    await waitFor("the queued task failed", () => v2.state === "failed");
    expect(v2.error?.code).toBe("MODEL_NOT_AVAILABLE");
  });

  it("with it, the worker's leaving changes nothing: the queued tasks stay in the journal for the next start, and new tasks get a retriable 503", async () => {
    const { tasks, real, v2, keyed, registry } = queued();
    await Promise.all([v2, keyed].map((t) => tasks.durable(t)));
    tasks.closeQueue();
    expect(tasks.closing).toBe(true);
    registry.deregister("n1");
    await new Promise((r) => setTimeout(r, 50));
    await tasks.shutdown(0);
    for (const t of [v2, keyed]) {
      expect([...t.events].at(-1)?.event).toBe("started");
      expect(real.get(t.task_id)).toMatchObject({ state: "queued", finished_at_ms: null });
    }
    expect(real.recover(Date.now()).requeue.map((r) => r.task_id).sort()).toEqual(["keyed", "v2"]);
    expect(() => tasks.admit({ api: "v2", model_ref: "m", priority: "batch", generation: { prompt: "x", max_tokens: 4 } })).toThrow(expect.objectContaining({ code: "POOL_UNAVAILABLE", message: "the orchestrator is shutting down; retry shortly" }) as Error);
  });
});
