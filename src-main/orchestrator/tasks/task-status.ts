import { StopReasonSchema } from "../../../src-shared/streaming/sse-events.js";
import type { PlacementExplanation } from "../../../src-shared/tasks/placement.js";
import type { TaskStatus } from "../../../src-shared/tasks/task-status.js";
import type { CandidateVerdict, PlacementDecision, StoredPlacementDecision } from "../placement/placement-types.js";
import type { TaskJournalRow } from "../db/task-journal.js";
import { journaledRequest } from "./stored-task.js";
import type { Task } from "./task.js";

/**
 * "full": every candidate with its verdict (GET /v2/tasks/{id}); "top": the summary's top candidates only,
 * as a journaled task has (the dashboard feed: with 1,000 nodes the full list is ~130 KB per task frame).
 */
export type PlacementDetail = "full" | "top";

/**
 * The contract's placement explanation for a decision: the winner and why every other candidate lost.
 * A live decision computes its per-candidate verdicts here, on first read (placeTask keeps only a
 * summary). A journaled one has no snapshot left: its kept top candidates stand in (rows written
 * before the summary existed still carry the full list).
 */
export function placementExplanation(decision: PlacementDecision | StoredPlacementDecision | null, detail: PlacementDetail = "full"): PlacementExplanation | null {
  if (decision === null) return null;
  const top = decision.summary?.top;
  const candidates: readonly CandidateVerdict[] =
    (detail === "top" && top !== undefined ? undefined : decision.candidates) ?? top?.map((t) => ({ node_id: t.node_id, pool_id: t.pool_id, eligible: true, rejected_because: [], score: t.score, rank: t.rank })) ?? [];
  return {
    decision:
      decision.outcome === "assigned"
        ? { node_id: decision.node_id, pool_id: decision.pool_id, strategy: decision.strategy, pinned: decision.pinned, fallback_used: decision.fallback_used, tie_breakers: decision.reasons }
        : null,
    candidates: candidates.map((c) => ({
      node_id: c.node_id,
      pool_id: c.pool_id,
      eligible: c.eligible,
      reasons_rejected: c.rejected_because,
      ...(c.rank !== undefined ? { score: c.rank } : {}),
    })),
  };
}

export function taskStatus(task: Task, queuePosition: number | null, predictedStartMs: number | null = null, detail: PlacementDetail = "full"): TaskStatus {
  const wait = task.started_at_ms !== null ? task.started_at_ms - task.enqueued_at_ms : null;
  return {
    task_id: task.task_id,
    session_id: task.session_id,
    state: task.state,
    workload: task.workload,
    priority: task.priority,
    engine: task.engine,
    model_ref: task.model_ref,
    model_sha256: task.model.sha256,
    node_id: task.node_id,
    pool_id: task.pool_id,
    queue_position: queuePosition,
    predicted_start_ms: task.state === "queued" ? (predictedStartMs ?? task.predicted_start_ms) : null,
    timings: {
      enqueued_at_ms: task.enqueued_at_ms,
      started_at_ms: task.started_at_ms,
      first_token_at_ms: task.first_token_at_ms,
      finished_at_ms: task.finished_at_ms,
      queue_wait_ms: wait,
      first_token_ms: task.first_token_at_ms !== null ? task.first_token_at_ms - task.enqueued_at_ms : null,
      decode_ms: task.first_token_at_ms !== null && task.finished_at_ms !== null ? task.finished_at_ms - task.first_token_at_ms : null,
    },
    tokens_in: task.tokens_in,
    tokens_out: task.tokens_out,
    max_tokens: task.generation.max_tokens,
    stop_reason: task.stop_reason,
    error: task.error,
    placement: placementExplanation(task.decision, detail),
    attempts: task.attempted_nodes.length,
    rescues: task.rescues,
  };
}

/** A task that is no longer in memory, rebuilt from the journal (placement: the decision and its summary, no per-candidate verdicts). */
export function journalTaskStatus(row: TaskJournalRow): TaskStatus {
  const decision = row.placement_json ? (JSON.parse(row.placement_json) as StoredPlacementDecision) : null;
  const state = (["queued", "dispatching", "running", "completed", "failed", "canceled"] as const).find((s) => s === row.state) ?? "failed";
  // What the task asked for, from its stored request; rows without one (written before requests were
  // journaled) answer what they can: the model by sha256, a completion.
  const asked = journaledRequest(row);
  const stopReason = StopReasonSchema.safeParse(row.stop_reason);
  return {
    task_id: row.task_id,
    session_id: row.session_id,
    state: row.finished_at_ms === null ? "failed" : state,
    workload: asked?.workload ?? "completion",
    priority: row.priority === "batch" ? "batch" : "interactive",
    engine: asked?.engine ?? "llamacpp",
    model_ref: asked?.model_ref ?? `sha256:${row.model}`,
    model_sha256: row.model,
    node_id: row.node_id,
    pool_id: row.pool_id,
    queue_position: null,
    timings: {
      enqueued_at_ms: row.accepted_at_ms,
      started_at_ms: row.started_at_ms,
      first_token_at_ms: row.first_token_at_ms,
      finished_at_ms: row.finished_at_ms,
      queue_wait_ms: row.started_at_ms !== null ? row.started_at_ms - row.accepted_at_ms : null,
      first_token_ms: row.first_token_at_ms !== null ? row.first_token_at_ms - row.accepted_at_ms : null,
      decode_ms: row.first_token_at_ms !== null && row.finished_at_ms !== null ? row.finished_at_ms - row.first_token_at_ms : null,
    },
    tokens_in: row.tokens_in,
    tokens_out: row.tokens_out,
    max_tokens: asked?.max_tokens ?? 1,
    stop_reason: stopReason.success ? stopReason.data : null,
    error: row.error_code ? { code: row.error_code as NonNullable<TaskStatus["error"]>["code"], message: row.error_message ?? "" } : row.finished_at_ms === null ? { code: "WORKER_RESET", message: "the orchestrator stopped before the task finished" } : null,
    placement: placementExplanation(decision),
    attempts: row.attempts ?? (row.node_id ? 1 : 0),
    ...(row.rescues !== null && row.rescues !== undefined ? { rescues: row.rescues } : {}),
  };
}
