import { replacesOnAnotherNode, type ErrorCode } from "../../../src-shared/errors/error-codes.js";
import type { SseEndData } from "../../../src-shared/streaming/sse-events.js";
import type { WorkerInferRequest } from "../../../src-shared/worker-api/worker-infer.js";
import { busyRefusal, refusedForGood } from "./replace-policy.js";
import { UpstreamError, type TaskStreamReader, type WorkerClient, type WorkerStreamEvent, type WorkerTerminalEvent } from "./worker-client.js";

/** The events a worker stream delivers before its terminal one. */
export type WorkerProgressEvent = WorkerStreamEvent;

/** Where a worker stream's progress goes; the caller owns the task, this room only carries events. */
export interface WorkerStreamSink {
  progress(event: WorkerProgressEvent): void;
  /** True once the task has its terminal event elsewhere (canceled, shut down): stop reading. */
  closed(): boolean;
  /**
   * The worker's `end`, in the turn its frame arrived (the task can end and its client be answered
   * before the promise chain runs); the returned promise then resolves `closed`, or `end` if this
   * was not called. Failures keep going through the promise.
   */
  ended?(data: SseEndData): void;
}

/** How one attempt on one worker ended. `busy`: the worker refused because it is busy (429, REPLICA_EXHAUSTED), not unhealthy. */
export type WorkerStreamOutcome =
  | { kind: "end"; data: SseEndData }
  | { kind: "error"; code: ErrorCode; message: string; retry_after_ms?: number; replaceable: boolean; busy?: true }
  | { kind: "closed" };

export interface WorkerStreamTarget {
  client: WorkerClient;
  node_id: string;
  pool_id: string;
  /** Silence (no event, no keep-alive) after which the attempt fails as WORKER_RESET. */
  idle_ms: number;
  /** After the worker accepted the task, how long keep-alives alone may hold it (0 = no bound). */
  first_token_ms?: number;
  /** W3C trace context of the orchestrator's worker.infer span, sent along (undefined: tracing off). */
  traceparent?: string | undefined;
  /** Called when the connection itself broke (the node becomes Suspect at once). */
  onConnectionLost(message: string): void;
}

/**
 * Runs one task on one worker: posts the infer request, forwards progress events to the sink and
 * classifies how it ended. `replaceable` applies the error table's re-place column: the failure
 * belongs to the node, so another node may serve the task if no token was sent yet.
 */
export async function streamFromWorker(target: WorkerStreamTarget, body: WorkerInferRequest, signal: AbortSignal, sink: WorkerStreamSink): Promise<WorkerStreamOutcome> {
  try {
    const { ended } = sink;
    const reader: TaskStreamReader = {
      event: (event) => {
        if (sink.closed()) return false;
        sink.progress(event);
        return true;
      },
      ...(ended === undefined ? {} : { terminal: (event: WorkerTerminalEvent) => void (event.event === "end" && !sink.closed() && ended(event.data)) }),
    };
    const terminal = await target.client.infer(target.pool_id, body, signal, target.idle_ms, reader, target.traceparent, target.first_token_ms);
    if (terminal === null || sink.closed()) return { kind: "closed" };
    if (terminal.event === "end") return { kind: "end", data: terminal.data };
    if (terminal.event === "error") {
      const { code, message, retriable, retry_after_ms } = terminal.data;
      return { kind: "error", code, message: message ?? "the worker reported an error", ...(retry_after_ms !== undefined ? { retry_after_ms } : {}), replaceable: retriable !== false && replacesOnAnotherNode(code), ...(busyRefusal(undefined, code) ? { busy: true as const } : {}) };
    }
    return { kind: "closed" };
  } catch (err) {
    if (sink.closed()) return { kind: "closed" };
    // Not the worker's doing (our own error before or while talking to it, e.g. a request that
    // cannot be serialised): the node stays Online and no other node would do better.
    if (!(err instanceof UpstreamError)) return { kind: "error", code: "INTERNAL", message: `the task could not be sent to node ${target.node_id}: ${err instanceof Error ? err.message : String(err)}`, replaceable: false };
    const failure = err.failure;
    if (failure.kind === "connection") target.onConnectionLost(failure.message);
    // A readable 4xx refusal (other than 404, 429 and "could not read the request") means the task itself is wrong: no other node will differ.
    const refusedPermanently = failure.kind === "refused" && refusedForGood(failure.status, failure.envelope?.code);
    const busy = failure.kind === "refused" && busyRefusal(failure.status, failure.envelope?.code) ? { busy: true as const } : {};
    if (failure.kind === "refused" && failure.envelope) {
      return { kind: "error", code: failure.envelope.code, message: failure.envelope.message, replaceable: !refusedPermanently, ...busy };
    }
    const text = err instanceof Error ? err.message : String(err);
    return { kind: "error", code: "WORKER_RESET", message: `node ${target.node_id} failed while serving the task: ${text}`, replaceable: !refusedPermanently, ...busy };
  }
}
