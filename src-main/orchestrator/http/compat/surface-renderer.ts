import type { ErrorCode } from "../../../../src-shared/errors/error-codes.js";
import type { SseEmbeddingData, SseScoreData, SseTokenData, TokenLogprobs } from "../../../../src-shared/streaming/sse-events.js";
import type { Task } from "../../tasks/task.js";

/** What a token event carries besides its text. */
export type TokenExtra = Pick<SseTokenData, "logprobs" | "tool_call">;

/** A whole tool call, assembled from its fragments. */
export interface AssembledToolCall {
  index: number;
  name: string;
  arguments: string;
}

/** How a task that produced its output ended, in the terms every surface maps from. */
export interface Completion {
  task: Task;
  /** The whole output text. */
  text: string;
  /** length: max_tokens reached; stop: a stop string matched; eos: the model ended its turn; tool_calls: it called tools. */
  reason: "length" | "stop" | "eos" | "tool_calls";
  /** With reason length: the worker said the model's context was full (its end event's context_full), not max_tokens. */
  contextFull: boolean;
  /** With reason stop: the stop string that matched, when the worker said (older workers do not). */
  stopSequence?: string | undefined;
  promptTokens: number;
  completionTokens: number;
  /** The tool calls the model made, in order. */
  toolCalls: AssembledToolCall[];
  /** Per-token log probabilities of the text, when the request asked for them. */
  logprobs: TokenLogprobs[] | undefined;
  /** The vectors of an embedding task, by input index. */
  embeddings: SseEmbeddingData[];
  /** The relevance scores of a ranking task, by document index. */
  scores: SseScoreData[];
}

/** A task that did not complete: its code from the error-code table and that code's HTTP status. */
export interface Failure {
  code: ErrorCode;
  message: string;
  status: number;
  retry_after_ms?: number | undefined;
  /** The request field the failure is about (OpenAI's `param`), when the surface knows it. */
  param?: string | undefined;
}

/** One surface's wire format for a streamed task; each method returns the frames to write, already encoded. */
export interface StreamRenderer {
  readonly framing: "sse" | "ndjson";
  /** Frames sent as soon as the task is admitted (message_start, response.created, …). */
  open(): string[];
  token(text: string, extra: TokenExtra): string[];
  end(done: Completion): string[];
  /** Error frames the surface's clients raise on; nothing follows them. */
  fail(failure: Failure): string[];
}

/** One surface's wire format for a buffered (non-stream) task. */
export interface BodyRenderer {
  body(done: Completion): unknown;
}

/** `data: <json>` (OpenAI chat and completion chunks). */
export function sseData(payload: unknown): string {
  return `data: ${typeof payload === "string" ? payload : JSON.stringify(payload)}\n\n`;
}

/** `event: <name>` + `data: <json>` (Responses and Anthropic events). */
export function sseNamed(event: string, payload: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`;
}

/** One NDJSON line (Ollama). */
export function ndjsonLine(payload: unknown): string {
  return `${JSON.stringify(payload)}\n`;
}
