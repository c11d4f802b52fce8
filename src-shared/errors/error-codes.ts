// The error-code table: every `code` the orchestrator or a worker can put in an error envelope or an
// SSE `error` event, with its HTTP status and whether a client may retry by default. Names follow the
// original spec's ErrorKind (SCREAMING_SNAKE_CASE); codes it never defined are additions a real
// server needs (404s, 413, 415, host/origin checks).

export interface ErrorCodeInfo {
  /** HTTP status used when the error is returned before a stream starts. */
  readonly http_status: number;
  /** Default `retriable` flag; a server may override it per response. */
  readonly retriable: boolean;
  /**
   * Whether the orchestrator re-places a task on another node when a worker reports this code before
   * the first token (the failure belongs to that node, not to the request).
   */
  readonly replace?: true;
  readonly description: string;
}

export const ERROR_CODES = {
  // Admission and queue.
  ADMISSION_REJECT: { http_status: 429, retriable: true, description: "Queue full under the reject policy; retry after retry_after_ms." },
  ADMISSION_KEY_LIMIT: { http_status: 429, retriable: true, description: "The credential already has admission_max_queued_per_key tasks queued (its share of a shared queue); other keys are still admitted; retry after retry_after_ms, once some of its tasks have started." },
  QUEUE_FULL_DROP_LRU: { http_status: 429, retriable: true, description: "Task dropped from a full queue under the drop-lru policy." },
  BUDGET_EXCEEDED: { http_status: 429, retriable: false, description: "The session's token, time or cost budget cannot cover the task." },
  INVALID_PARAMS: { http_status: 400, retriable: false, description: "A request field is missing, malformed or out of range (also an unknown pin)." },
  DEADLINE_UNMET: { http_status: 400, retriable: false, description: "deadline_ms is not positive or cannot be met." },
  CONTEXT_TOO_LONG: { http_status: 400, retriable: false, description: "ctx, or prompt plus max_tokens, exceeds what the model supports." },
  MALFORMED_JSON: { http_status: 400, retriable: false, description: "The request body is not valid JSON." },
  UNTRUSTED_ARTIFACT: { http_status: 400, retriable: false, description: "Catalog ingest refused by a strict trust policy." },

  // Capacity and placement.
  POOL_UNREADY: { http_status: 503, retriable: true, replace: true, description: "The pool exists but is not ready (loading, restarting or draining)." },
  POOL_UNAVAILABLE: { http_status: 503, retriable: true, replace: true, description: "No pool can serve the task right now." },
  REPLICA_EXHAUSTED: { http_status: 503, retriable: true, replace: true, description: "Every replica able to serve the task is busy or failed." },
  MODEL_NOT_AVAILABLE: { http_status: 503, retriable: true, replace: true, description: "The model is known but no online node holds it." },
  NODE_UNAVAILABLE: { http_status: 503, retriable: true, replace: true, description: "The pinned node is unknown, offline or draining." },
  ENGINE_CRASHED: { http_status: 503, retriable: true, replace: true, description: "The inference engine crashed; the pool restarts it with backoff." },
  STORAGE_FULL: { http_status: 507, retriable: true, description: "The server's disk is full: it could not write its database (nothing was changed); retry once an operator has freed space in its data directory." },
  MODEL_TOO_LARGE: { http_status: 507, retriable: false, description: "The model does not fit in the memory (VRAM or RAM) of any eligible pool." },
  MODEL_DEPRECATED: { http_status: 410, retriable: false, description: "The model is retired and no longer accepts tasks." },

  // Execution.
  DECODE_TIMEOUT: { http_status: 500, retriable: true, replace: true, description: "Decoding exceeded its wall or idle timeout." },
  // 500, not 502: the original pacts use 500, and after the first token it only ever travels as an SSE event.
  WORKER_RESET: { http_status: 500, retriable: true, replace: true, description: "The worker or its node failed while serving the task." },
  INTERNAL: { http_status: 500, retriable: false, description: "Unexpected server error." },
  // SSE only: a stream that ends through cancellation normally ends with `end` + canceled:true; this code
  // is for consumers (e.g. an OpenAI stream or a task status) that need an error-shaped record of it.
  CANCELED: { http_status: 499, retriable: false, description: "The task was canceled by the client or an operator." },

  // Authentication and request hygiene.
  MISSING_TOKEN: { http_status: 401, retriable: false, description: "No Authorization: Bearer token was presented." },
  BAD_TOKEN: { http_status: 401, retriable: false, description: "The bearer token is not valid." },
  NON_LOOPBACK_WITHOUT_TOKEN: { http_status: 403, retriable: false, description: "Non-loopback access requires a configured API token." },
  FORBIDDEN_HOST: { http_status: 403, retriable: false, description: "The Host header names a foreign host (DNS-rebinding protection)." },
  FORBIDDEN_ORIGIN: { http_status: 403, retriable: false, description: "The Origin header names a foreign origin." },
  FORBIDDEN_SCOPE: { http_status: 403, retriable: false, description: "The credential is valid but its scopes do not cover this route." },
  KEY_RATE_LIMITED: { http_status: 429, retriable: true, description: "The API key's requests_per_minute limit refuses one more request now; retry after retry_after_ms." },
  KEY_QUOTA_EXCEEDED: { http_status: 429, retriable: false, description: "The API key has used its tokens_per_day (prompt + generated, UTC day); retry_after_ms says when the day ends. With retriable true (retry_after_ms 1 s): its running and queued tasks may use the rest (their max_tokens); retry when one ends." },
  AUTH_RATE_LIMITED: { http_status: 429, retriable: true, description: "Too many failed authentications from this client address; retry after retry_after_ms." },
  NODE_RATE_LIMITED: { http_status: 429, retriable: true, description: "A node sends heartbeats or registrations for its id faster than its interval allows (heartbeat_node_max_per_interval, node_register_max_per_min): the request was not processed; retry after retry_after_ms." },
  REQUEST_TIMEOUT: { http_status: 408, retriable: true, description: "The request headers or body did not arrive in time." },
  HEADERS_TOO_LARGE: { http_status: 431, retriable: false, description: "The request headers exceed the server's limit." },
  MALFORMED_REQUEST: { http_status: 400, retriable: false, description: "The HTTP request could not be parsed." },
  NOT_FOUND: { http_status: 404, retriable: false, description: "Unknown route or resource." },
  TASK_NOT_FOUND: { http_status: 404, retriable: false, description: "Unknown task id." },
  POOL_NOT_FOUND: { http_status: 404, retriable: false, description: "Unknown pool id." },
  NODE_NOT_FOUND: { http_status: 404, retriable: false, description: "Unknown node id (a worker re-registers on this)." },
  SESSION_NOT_FOUND: { http_status: 404, retriable: false, description: "Unknown or expired session id." },
  MODEL_NOT_FOUND: { http_status: 404, retriable: false, description: "Unknown model id, name or reference." },
  JOB_NOT_FOUND: { http_status: 404, retriable: false, description: "Unknown staging job, or no model pull of that model on this worker." },
  METHOD_NOT_ALLOWED: { http_status: 405, retriable: false, description: "The route exists but not for this HTTP method." },
  IDEMPOTENCY_KEY_REUSED: { http_status: 422, retriable: false, description: "The Idempotency-Key was already used for a different request (another body, model or API); a retry must resend the same request, a new request needs a new key." },
  CONFLICT: { http_status: 409, retriable: false, description: "The request conflicts with the current state (e.g. reload while reloading)." },
  PAYLOAD_TOO_LARGE: { http_status: 413, retriable: false, description: "The request body exceeds the size limit." },
  UNSUPPORTED_MEDIA_TYPE: { http_status: 415, retriable: false, description: "The request body has an unsupported Content-Type." },
  NOT_SUPPORTED: { http_status: 501, retriable: false, description: "A compatible API's operation this server does not perform (e.g. Ollama's model create and push, or delete of a model's own name); the message says what to do instead." },
} as const satisfies Record<string, ErrorCodeInfo>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** All codes, in table order (handy for z.enum and for exhaustive tests). */
export const ERROR_CODE_LIST = Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && Object.hasOwn(ERROR_CODES, value);
}

export function httpStatusForCode(code: ErrorCode): number {
  return ERROR_CODES[code].http_status;
}

/** The table's re-place column: a worker error with this code before the first token moves the task to another node. */
export function replacesOnAnotherNode(code: ErrorCode): boolean {
  const info: ErrorCodeInfo = ERROR_CODES[code];
  return info.replace === true;
}
