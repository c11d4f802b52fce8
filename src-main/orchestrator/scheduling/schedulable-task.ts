import type { ErrorCode } from "../../../src-shared/errors/error-codes.js";
import type { SseEndData } from "../../../src-shared/streaming/sse-events.js";
import type { Generation } from "../../../src-shared/tasks/generation.js";
import type { PlacementDecision, PlacementRequest } from "../placement/placement-types.js";
import type { WorkerProgressEvent } from "../workers/worker-stream.js";
import type { Priority } from "./admission-queue.js";

export type AssignedDecision = Extract<PlacementDecision, { outcome: "assigned" }>;

/**
 * What the scheduler needs to know of a task: its identity, model, placement wishes and deadline,
 * and how far it got. The task room's Task satisfies it; scheduling never sees the task's streams.
 */
export interface SchedulableTask {
  readonly task_id: string;
  readonly priority: Priority;
  readonly session_id: string;
  /** The credential that admitted it: sessions are per owner (SessionOwner). */
  readonly owner: string | null;
  readonly model: { readonly sha256: string; readonly size_bytes?: number | undefined };
  readonly generation: Generation;
  readonly placement: Omit<PlacementRequest, "model_sha256" | "model_size_bytes" | "session_pool_id" | "exclude_nodes">;
  readonly deadline_at_ms: number;
  readonly queue_position_at_admission: number;
  readonly tokens_out: number;
  readonly cancel_requested: boolean;
  /** Attempts started over after their output was discarded (see SchedulerHooks.rescuing). */
  readonly rescues: number;
  /** Nodes a dispatch was attempted on, in order (the scheduler appends). */
  readonly attempted_nodes: string[];
}

export interface TaskFailure {
  code: ErrorCode;
  message: string;
  retry_after_ms?: number;
}

/**
 * How the scheduler reports back to the task room: callbacks, so that no import runs back up from
 * scheduling to tasks. Each call is one step of the task's state machine.
 */
export interface SchedulerHooks<T extends SchedulableTask> {
  /** A placement pass is about to start (the task room commits pending journal writes). */
  beforePass?(): void;
  /** Placed on a pool; the worker is being called. Returns the W3C traceparent that call carries (undefined: tracing off). */
  placed(task: T, decision: AssignedDecision): string | undefined;
  /** A non-terminal event from the worker (started, token, metrics). */
  progress(task: T, event: WorkerProgressEvent): void;
  /** The worker's `end`. */
  ended(task: T, data: SseEndData): void;
  /** Terminal failure (deadline, no capacity ever, worker error after retries, shutdown). */
  failed(task: T, failure: TaskFailure, decision?: PlacementDecision): void;
  /** The attempt failed before its first token; the task is back at the head of the queue. */
  replacing(task: T, why: string): void;
  /** Whether the task's output so far can be discarded: no client received any of its tokens. */
  outputRetractable(task: T): boolean;
  /**
   * The attempt failed where re-placement does not apply (after tokens, or after the one re-placement)
   * and no client saw a token: the output is discarded and the task is back at the head of the queue.
   */
  rescuing(task: T, why: string): void;
  /** A queued task's position or predicted start changed. */
  waiting(task: T, position: number, predictedStartMs: number, queueDepth: number): void;
  /** True once the task has its terminal event. */
  isTerminal(task: T): boolean;
}
