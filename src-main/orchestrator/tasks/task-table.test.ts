import { describe, expect, it } from "vitest";
import { TASK_TRACE_OFF } from "./task-trace.js";
import { placeTask } from "../placement/place-task.js";
import type { PlacementCandidate } from "../placement/placement-types.js";
import { placementExplanation } from "./task-status.js";
import { TaskEventLog } from "./task-event-log.js";
import { FINISHED_EVENTS_KEPT, FINISHED_EXPLAINED_KEPT, FINISHED_TASKS_KEPT, TaskTable } from "./task-table.js";
import type { Task } from "./task.js";

const SHA = "a".repeat(64);

function candidates(n: number): PlacementCandidate[] {
  return Array.from({ length: n }, (_, i) => ({
    node_id: `n${String(i).padStart(4, "0")}`, pool_id: `p${String(i).padStart(4, "0")}`, node_schedulable: true, node_state: "Online", ready: true, loading: false, draining: false,
    slots_total: 1, slots_free: 1, vram_free_bytes: 0, device_mask: "cpu", models_available: i % 2 === 0 ? [SHA] : ["b".repeat(64)], loaded_model: undefined, tokens_per_second: undefined,
  }));
}

function finishedTask(id: string, pool: readonly PlacementCandidate[]): Task {
  const decision = placeTask({ model_sha256: SHA, model_size_bytes: 1, mode: "auto", allow_fallback: true }, pool, { strategy: "least-loaded", sequence: 0, seed: 0 });
  return {
    task_id: id, session_id: id, api: "v2", workload: "completion", engine: "llamacpp", priority: "batch", model_ref: "m",
    model: { id: "m", sha256: SHA, name: "m", file_name: "m.gguf", size_bytes: 1, has_chat_template: false },
    generation: { prompt: "x", max_tokens: 4 }, placement: { mode: "auto", allow_fallback: true }, deadline_at_ms: 0,
    state: "completed", enqueued_at_ms: 0, started_at_ms: 0, first_token_at_ms: null, finished_at_ms: 0, queue_position_at_admission: 0,
    predicted_start_ms: 0, node_id: null, pool_id: null, attempted_nodes: [], decision, tokens_in: null, tokens_out: 0, stop_reason: null, idempotency_key: null, request_fingerprint: null, owner: null,
    error: null, events: new TaskEventLog(), subscribers: new Set(), rewinders: new Map(), tokens_delivered: false, rescues: 0, cancel_requested: false, trace: TASK_TRACE_OFF,
  };
}

describe("TaskTable memory", () => {
  it("keeps the newest finished tasks, and the full placement explanation only for the newest of those", () => {
    const table = new TaskTable();
    const total = FINISHED_TASKS_KEPT + 10;
    for (let i = 0; i < total; i++) {
      const t = finishedTask(`t${i}`, candidates(20));
      table.add(t);
      table.finished(t);
    }
    expect(table.get("t0")).toBeUndefined();
    expect(table.sizes()).toMatchObject({ tasks: FINISHED_TASKS_KEPT, finished: FINISHED_TASKS_KEPT });

    // Recent: every candidate's verdict, computed from the snapshot the decision still holds.
    const recent = table.get(`t${total - 1}`)?.decision ?? null;
    expect(placementExplanation(recent)?.candidates).toHaveLength(20);
    // Older than the window: the snapshot is released; the explanation falls back to the summary's top candidates.
    const older = table.get(`t${total - 2 - FINISHED_EXPLAINED_KEPT}`)?.decision ?? null;
    expect(older).not.toBeNull();
    expect(Object.getOwnPropertyDescriptor(older, "candidates")).toBeUndefined();
    const explained = placementExplanation(older);
    expect(explained?.decision).toMatchObject({ node_id: expect.any(String) as string });
    expect(explained?.candidates.length).toBeGreaterThan(0);
    expect(explained?.candidates.length).toBeLessThan(20);
    // The newest FINISHED_EXPLAINED_KEPT still have their lazy explanation.
    const edge = table.get(`t${total - FINISHED_EXPLAINED_KEPT}`)?.decision ?? null;
    expect(Object.getOwnPropertyDescriptor(edge, "candidates")?.get).toBeTypeOf("function");
  });

  it("forgets the oldest finished tasks early when their events pass the budget, and keeps no finished task's input", () => {
    const table = new TaskTable();
    const tokens = 4000;
    const pool = candidates(2);
    for (let i = 0; i < 200; i++) {
      const t = finishedTask(`t${i}`, pool);
      t.generation = { prompt: "p".repeat(10_000), max_tokens: tokens, temperature: 0.5 };
      t.events = TaskEventLog.of(Array.from({ length: tokens }, (_, k) => ({ event: "token" as const, data: { t: "x", i: k } })));
      table.add(t);
      table.finished(t);
    }
    const sizes = table.sizes();
    expect(sizes.finished_events).toBeLessThanOrEqual(FINISHED_EVENTS_KEPT);
    expect(sizes.finished).toBe(Math.floor(FINISHED_EVENTS_KEPT / tokens));
    expect(table.get("t0")).toBeUndefined();
    expect(table.get("t199")?.events).toHaveLength(tokens);
    expect(table.get("t199")?.generation).toEqual({ max_tokens: tokens, temperature: 0.5 });
  });
});
