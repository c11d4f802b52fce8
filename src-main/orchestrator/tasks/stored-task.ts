import { z } from "zod";
import { GenerationSchema } from "../../../src-shared/tasks/generation.js";
import { PlacementFieldsSchema } from "../../../src-shared/tasks/placement.js";
import { EngineSchema, PrioritySchema, WorkloadSchema } from "../../../src-shared/tasks/task-request.js";
import { steadyNow } from "../../../src-node/steady-clock.js";
import type { TaskJournalRow } from "../db/task-journal.js";
import { newTask } from "./new-task.js";
import { TASK_APIS, type Task } from "./task.js";

// What the journal keeps of an accepted task so that a restart can queue it again exactly as it
// was admitted (crash-proof admission): the request as resolved, not the client's raw body.
const StoredTaskSchema = z.object({
  v: z.literal(1),
  api: z.enum(TASK_APIS),
  workload: WorkloadSchema,
  engine: EngineSchema,
  priority: PrioritySchema,
  model_ref: z.string(),
  model: z.object({
    id: z.string(),
    sha256: z.string(),
    name: z.string(),
    file_name: z.string(),
    size_bytes: z.number(),
    context_length: z.number().optional(),
    has_chat_template: z.boolean(),
    architecture: z.string().optional(),
    quantization: z.string().optional(),
    parameter_count: z.number().optional(),
    /** The operator alias the request named (what answers echo as `model`). */
    alias: z.string().optional(),
  }),
  generation: GenerationSchema,
  placement: PlacementFieldsSchema,
  deadline_at_ms: z.number(),
  /** The admitting credential (absent in rows written before tasks had owners). */
  owner: z.string().optional(),
  /** A keyed task's request fingerprint (request-fingerprint.ts). */
  fp: z.string().optional(),
});

export function storedTaskJson(task: Task): string {
  const stored: z.input<typeof StoredTaskSchema> = {
    v: 1,
    api: task.api,
    workload: task.workload,
    engine: task.engine,
    priority: task.priority,
    model_ref: task.model_ref,
    model: task.model,
    generation: task.generation,
    placement: { ...task.placement, prefer_pools: copy(task.placement.prefer_pools), avoid_pools: copy(task.placement.avoid_pools), avoid_nodes: copy(task.placement.avoid_nodes) },
    // Journaled as a wall-clock time (what a later run can read); in memory it is on this run's steady clock.
    deadline_at_ms: Math.round(task.deadline_at_ms - steadyNow() + Date.now()),
    ...(task.owner === null ? {} : { owner: task.owner }),
    ...(task.request_fingerprint === null ? {} : { fp: task.request_fingerprint }),
  };
  return JSON.stringify(stored);
}

function copy(list: readonly string[] | undefined): string[] | undefined {
  return list === undefined ? undefined : [...list];
}

function storedTask(row: TaskJournalRow): z.infer<typeof StoredTaskSchema> | null {
  if (row.request_json === null) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(row.request_json);
  } catch {
    return null;
  }
  const parsed = StoredTaskSchema.safeParse(raw);
  return parsed.success ? parsed.data : null;
}

/** What a journaled task asked for, for its status; null when the row has no usable request. */
export function journaledRequest(row: TaskJournalRow): { workload: Task["workload"]; engine: Task["engine"]; model_ref: string; max_tokens: number } | null {
  const s = storedTask(row);
  return s === null ? null : { workload: s.workload, engine: s.engine, model_ref: s.model_ref, max_tokens: s.generation.max_tokens };
}

/** The credential that admitted a journaled task; null when the row does not say (written before owners). */
export function journaledOwner(row: TaskJournalRow): string | null {
  return storedTask(row)?.owner ?? null;
}

/**
 * Whether a queued task is still wanted after the orchestrator restarted (a journal row, or a task at a
 * graceful stop): a /v2 task (its client
 * follows it by id) or a keyed one (a retry with the same Idempotency-Key gets its result). A
 * compatible surface's unkeyed request belongs to its connection, which the restart closed.
 */
export function outlivesConnection(task: Pick<TaskJournalRow, "api" | "idempotency_key">): boolean {
  return task.api === "v2" || task.idempotency_key !== null;
}

/** The task a journal row describes, queued again; null when the row has no usable request. */
export function taskFromJournal(row: TaskJournalRow): Task | null {
  const s = storedTask(row);
  if (s === null) return null;
  return newTask({
    task_id: row.task_id,
    session_id: row.session_id,
    api: s.api,
    workload: s.workload,
    engine: s.engine,
    priority: s.priority,
    model_ref: s.model_ref,
    model: s.model,
    generation: s.generation,
    placement: s.placement,
    deadline_at_ms: s.deadline_at_ms - Date.now() + steadyNow(),
    idempotency_key: row.idempotency_key,
    request_fingerprint: s.fp ?? null,
    owner: s.owner ?? null,
    enqueued_at_ms: row.accepted_at_ms,
  });
}
