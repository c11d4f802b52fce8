import type { ErrorStyle } from "../../../../src-shared/contract/route-spec.js";
import { ERROR_CODES } from "../../../../src-shared/errors/error-codes.js";
import { errorEnvelope } from "../../../../src-shared/errors/error-envelope.js";
import { OrchError } from "../../../../src-shared/errors/orch-error.js";
import type { SseEmbeddingData, SseEndData, SseEvent, SseScoreData, TokenLogprobs } from "../../../../src-shared/streaming/sse-events.js";
import type { AdmissionInput } from "../../tasks/admit-task.js";
import type { Task } from "../../tasks/task.js";
import type { OrchestratorContext } from "../../orchestrator-context.js";
import { sendError } from "../../../../src-node/error-sender.js";
import type { RouteContext } from "../../../../src-node/route-context.js";
import { openSse } from "../../../../src-node/sse-writer.js";
import { watchOptions } from "../watch-options.js";
import { admitOnce, type AdmittedOnce } from "./admit-once.js";
import { compatFailureStatus } from "./failure-status.js";
import { openNdjson } from "./ndjson-writer.js";
import type { RefusalNamer } from "./openai-refusal-param.js";
import type { AssembledToolCall, BodyRenderer, Completion, Failure, StreamRenderer } from "./surface-renderer.js";

/** How long a stream's head waits for the task's first output before it is sent anyway (see serveTask). */
const STREAM_HEAD_GRACE_MS = 1_000;

/** How a surface answers one admitted task: a stream, or one body. */
export type SurfaceResponse = { stream: StreamRenderer } | { body: BodyRenderer };

/** The renderer the request asked for. */
export function respondWith(renderers: { stream: StreamRenderer; body: BodyRenderer }, stream: boolean): SurfaceResponse {
  return stream ? { stream: renderers.stream } : { body: renderers.body };
}

/**
 * The task path every compatible surface shares: admit, follow the task's events, and hand them to
 * the surface's renderer. Admission errors are thrown (the route renders them in its error shape).
 * A client that hangs up cancels its task quietly; a task that ends canceled while the client is
 * still there (operator cancel, pool drain) reaches it as an error, never as a normal finish.
 * `errorStyle` is the shape of a non-stream failure after admission, and of a streamed one that fails
 * before the stream opened: a stream's head (HTTP 200 and the surface's opening frames) waits for the
 * task's first output or STREAM_HEAD_GRACE_MS, so that what fails at once (a prompt longer than the
 * context, a schema the engine refuses) gets its own HTTP status in the surface's error shape, as
 * llama-server and Ollama answer it, instead of a 200 with an error frame.
 * `nameRefusal` (OpenAI surfaces) maps a refusal from admission or the engine to the request field it is about.
 */
export function serveTask(ctx: OrchestratorContext, rc: RouteContext, input: AdmissionInput, respond: (task: Task) => SurfaceResponse, errorStyle: ErrorStyle, nameRefusal?: RefusalNamer): Task {
  const { res } = rc;
  const { task, replayed } = admitNamed(ctx, rc, input, nameRefusal);
  // Lets a client cancel (POST /v2/tasks/{id}/cancel) or inspect the task before the first token.
  res.setHeader("X-Task-Id", task.task_id);
  const surface = respond(task);
  let finished = false;
  let unfollow = () => {};
  res.on("close", () => {
    clearTimeout(grace);
    if (finished) return;
    finished = true;
    unfollow();
    // An Idempotency-Key announces a retry: the task keeps running for it. A replay only ever observes.
    if (!replayed && task.idempotency_key === null) ctx.tasks.cancel(task.task_id, "disconnect");
  });

  const stream = "stream" in surface ? surface.stream : null;
  let writer: { write(frame: string): void; close(): void } | null = null;
  const open = (): void => {
    if (writer !== null || stream === null || finished) return;
    clearTimeout(grace);
    writer = stream.framing === "sse" ? openSse(res, {}, watchOptions(ctx.config())) : openNdjson(res, watchOptions(ctx.config()));
    for (const frame of stream.open()) writer.write(frame);
  };
  // Opened before the frames are rendered: a renderer numbers its frames (the Responses API's sequence_number).
  const write = (render: () => string[]) => {
    open();
    for (const frame of render()) writer?.write(frame);
  };
  // A client kept waiting in the queue gets the head (and the stream's keep-alives) after the grace.
  const grace = stream === null ? undefined : setTimeout(open, STREAM_HEAD_GRACE_MS);
  grace?.unref();

  let output = new TaskOutput();
  // A non-streamed answer only buffers until the end: a rescue (its worker failed mid-generation) may
  // discard what it collected and the next attempt fills it again. A stream delivers each token at once.
  const rewind = stream === null ? () => void (output = new TaskOutput()) : undefined;
  unfollow = ctx.tasks.follow(task, (event: SseEvent) => {
    if (finished) return;
    if (event.event === "token") {
      output.add(event.data);
      const { logprobs, tool_call } = event.data;
      if (stream !== null) write(() => stream.token(event.data.t, { ...(logprobs !== undefined ? { logprobs } : {}), ...(tool_call !== undefined ? { tool_call } : {}) }));
      return;
    }
    if (event.event === "embedding") {
      output.embeddings.push(event.data);
      return;
    }
    if (event.event === "score") {
      output.scores.push(event.data);
      return;
    }
    if (event.event !== "end" && event.event !== "error") return;
    const failure = event.event === "error" ? failureOf(event.data, nameRefusal) : event.data.canceled === true ? canceledFailure(task) : null;
    if (failure === null) {
      const done = completionOf(task, output, event.event === "end" ? event.data : undefined);
      if (stream !== null) write(() => stream.end(done));
      else res.json((surface as { body: BodyRenderer }).body.body(done));
    } else if (stream !== null && writer !== null) {
      write(() => stream.fail(failure));
    } else {
      clearTimeout(grace);
      sendError(res, failure.status, errorEnvelope(failure.code, failure.message, { retry_after_ms: failure.retry_after_ms, details: paramDetails(failure.param, failure.message) }), errorStyle);
    }
    finished = true;
    (writer as { close(): void } | null)?.close();
  }, rewind);
  return task;
}

/** A task's output as its events deliver it: text, tool calls, logprobs, vectors. */
class TaskOutput {
  text = "";
  readonly toolCalls: AssembledToolCall[] = [];
  logprobs: TokenLogprobs[] | undefined;
  readonly embeddings: SseEmbeddingData[] = [];
  readonly scores: SseScoreData[] = [];

  add(token: Extract<SseEvent, { event: "token" }>["data"]): void {
    this.text += token.t;
    if (token.logprobs !== undefined) (this.logprobs ??= []).push(...token.logprobs);
    const delta = token.tool_call;
    if (delta === undefined) return;
    const call = this.toolCalls.find((c) => c.index === delta.index);
    if (call === undefined) this.toolCalls.push({ index: delta.index, name: delta.name ?? "", arguments: delta.arguments });
    else call.arguments += delta.arguments;
  }
}

function completionOf(task: Task, output: TaskOutput, end: SseEndData | undefined): Completion {
  const reason = task.stop_reason === "max_tokens" ? "length" : task.stop_reason === "stop" ? "stop" : task.stop_reason === "tool_calls" ? "tool_calls" : "eos";
  return { task, text: output.text, reason, contextFull: end?.context_full === true, stopSequence: end?.stop_sequence, promptTokens: task.tokens_in ?? 0, completionTokens: task.tokens_out, toolCalls: output.toolCalls, logprobs: output.logprobs, embeddings: output.embeddings, scores: output.scores };
}

function failureOf(data: Extract<SseEvent, { event: "error" }>["data"], nameRefusal: RefusalNamer | undefined): Failure {
  const named = nameRefusal?.(data.code, data.message ?? data.code) ?? { param: null, message: data.message ?? data.code };
  return { code: data.code, message: named.message, status: compatFailureStatus(data.code), retry_after_ms: data.retry_after_ms, ...(named.param !== null ? { param: named.param } : {}) };
}

/** The envelope's validation issue naming `param` (what the OpenAI error shape reads its `param` from). */
function paramDetails(param: string | undefined, message: string): { issues: { path: string[]; message: string }[] } | undefined {
  return param === undefined ? undefined : { issues: [{ path: param.split("."), message }] };
}

/** Admission, with a refusal that names no field given the one the surface knows it is about. */
function admitNamed(ctx: OrchestratorContext, rc: RouteContext, input: AdmissionInput, nameRefusal: RefusalNamer | undefined): AdmittedOnce {
  try {
    return admitOnce(ctx, rc, input);
  } catch (error) {
    if (nameRefusal === undefined || !(error instanceof OrchError) || error.envelope.details?.issues !== undefined) throw error;
    const named = nameRefusal(error.code, error.message);
    if (named.param === null) throw error;
    const { code: _code, message: _message, ...extra } = error.envelope;
    throw new OrchError(error.code, named.message, { ...extra, details: { ...extra.details, ...paramDetails(named.param, named.message) } });
  }
}

/** A canceled ending the client did not cause by hanging up: say who ended it. */
function canceledFailure(task: Task): Failure {
  const by =
    task.cancel_reason === "operator" ? "an operator (dashboard)"
    : task.cancel_reason === "client" ? `a cancel request (POST /v2/tasks/${task.task_id}/cancel)`
    : "its worker (the pool was drained or reloaded)";
  return { code: "CANCELED", message: `the task was canceled by ${by} before it finished`, status: ERROR_CODES.CANCELED.http_status };
}
