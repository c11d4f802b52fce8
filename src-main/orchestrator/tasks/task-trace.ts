import { NOOP_SPAN, type SpanHandle, type Tracing } from "../../../src-node/tracing/tracing.js";
import type { AssignedDecision } from "../scheduling/schedulable-task.js";

/** What the trace reads of a task (the task room's Task satisfies it). */
interface TracedTask {
  readonly task_id: string;
  readonly priority: string;
  readonly api: string;
  readonly model: { readonly id: string; readonly sha256: string };
  readonly attempted_nodes: readonly string[];
}

/** How a task ended, as the trace records it. */
export interface TraceEnding {
  state: string;
  error: { code: string; message: string } | null;
  tokens_in: number | null;
  tokens_out: number;
}

/**
 * One task's spans in the orchestrator:
 *
 *   task                      admission → terminal event (task id, model, node, pool, outcome)
 *   ├─ admission              validation, model resolution, budget, feasibility, enqueue
 *   ├─ queue.wait             enqueued → placed (again after a failed first attempt or a rescue)
 *   ├─ placement              the decision: node, pool, candidates considered, reasons
 *   └─ worker.infer (client)  the call to the worker and its stream; its traceparent goes along
 *
 * parented on the request's server span (itself the child of a client's traceparent). With
 * tracing off every task shares TASK_TRACE_OFF, whose methods return at once.
 */
export class TaskTrace {
  private queue: SpanHandle = NOOP_SPAN;
  private attempt: SpanHandle = NOOP_SPAN;
  private admission: SpanHandle;
  private sawFirstToken = false;

  private constructor(
    private readonly tracing: Tracing | null,
    private readonly root: SpanHandle,
  ) {
    this.admission = tracing === null ? NOOP_SPAN : tracing.startSpan("admission", { parent: root });
  }

  /** Starts a task's trace at admission, under the request's span. */
  static start(tracing: Tracing, parent: SpanHandle | undefined, api: string): TaskTrace {
    if (!tracing.enabled) return TASK_TRACE_OFF;
    return new TaskTrace(tracing, tracing.startSpan("task", { parent, attributes: { "llorch.api": api } }));
  }

  static off(): TaskTrace {
    return new TaskTrace(null, NOOP_SPAN);
  }

  /** Admission refused the task: the task span ends with the refusal's code. */
  refused(code: string, message: string): void {
    if (this.tracing === null) return;
    this.admission.recordError(code, message);
    this.admission.end();
    this.root.recordError(code, message);
    this.root.end();
  }

  /** Admitted and queued. */
  admitted(task: TracedTask, queuePosition: number): void {
    if (this.tracing === null) return;
    const attributes = { "llorch.task_id": task.task_id, "gen_ai.request.model": task.model.id, "llorch.model_sha256": task.model.sha256, "llorch.priority": task.priority };
    this.root.setAttributes(attributes);
    this.admission.setAttributes({ ...attributes, "llorch.queue_position": queuePosition });
    this.admission.end();
    this.queue = this.tracing.startSpan("queue.wait", { parent: this.root, attributes: { "llorch.queue_position": queuePosition } });
  }

  /** Placed on a pool: returns the traceparent of the worker call. */
  placed(task: TracedTask, decision: AssignedDecision): string | undefined {
    if (this.tracing === null) return undefined;
    this.queue.end();
    this.queue = NOOP_SPAN;
    const where = { "llorch.node_id": decision.node_id, "llorch.pool_id": decision.pool_id };
    const attempt = task.attempted_nodes.length;
    const placement = this.tracing.startSpan("placement", { parent: this.root, attributes: { ...where, "llorch.candidates_considered": decision.summary.considered, "llorch.placement_reasons": decision.reasons.join("; "), "llorch.attempt": attempt } });
    placement.end();
    this.root.setAttributes(where);
    this.attempt = this.tracing.startSpan("worker.infer", { kind: "client", parent: this.root, attributes: { ...where, "llorch.task_id": task.task_id, "llorch.attempt": attempt } });
    this.sawFirstToken = false;
    return this.attempt.traceparent();
  }

  firstToken(): void {
    if (this.tracing === null || this.sawFirstToken) return;
    this.sawFirstToken = true;
    this.attempt.addEvent("first_token");
  }

  /** The attempt failed before its first token; the task queues again for another node. */
  replacing(why: string): void {
    if (this.tracing === null) return;
    this.attempt.recordError("REPLACED", why);
    this.attempt.end();
    this.attempt = NOOP_SPAN;
    this.queue = this.tracing.startSpan("queue.wait", { parent: this.root, attributes: { "llorch.replacing": true } });
  }

  /** The attempt failed after tokens no client had received: they are discarded and the task queues again. */
  rescuing(why: string, discardedTokens: number): void {
    if (this.tracing === null) return;
    this.attempt.setAttributes({ "llorch.tokens_discarded": discardedTokens });
    this.attempt.recordError("RESCUED", why);
    this.attempt.end();
    this.attempt = NOOP_SPAN;
    this.queue = this.tracing.startSpan("queue.wait", { parent: this.root, attributes: { "llorch.rescue": true } });
  }

  /** The terminal event: every open span ends, failures recorded where they happened. */
  finished(ending: TraceEnding): void {
    if (this.tracing === null) return;
    const usage = { "gen_ai.usage.output_tokens": ending.tokens_out, ...(ending.tokens_in !== null ? { "gen_ai.usage.input_tokens": ending.tokens_in } : {}) };
    this.attempt.setAttributes(usage);
    this.root.setAttributes({ ...usage, "llorch.outcome": ending.state });
    if (ending.error !== null) {
      // Failed in the queue (deadline, no capacity, shutdown) or on the worker.
      (this.attempt.recording ? this.attempt : this.queue).recordError(ending.error.code, ending.error.message);
      this.root.recordError(ending.error.code, ending.error.message);
    }
    this.queue.end();
    this.attempt.end();
    this.root.end();
  }
}

/** The trace of every task while tracing is off. */
export const TASK_TRACE_OFF = TaskTrace.off();
