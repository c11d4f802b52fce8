import type { ErrorCode } from "../../../src-shared/errors/error-codes.js";
import type { WorkerStreamOutcome } from "./worker-stream.js";

/** One attempt plus one re-placement (DESIGN.md §2): a failure before the first token moves the task once. */
export const MAX_DISPATCH_ATTEMPTS = 2;

export interface AttemptState {
  attempts: number;
  tokens_out: number;
  canceled: boolean;
}

/** Whether a failed attempt is re-placed on another node rather than reported to the client. */
export function shouldReplace(outcome: WorkerStreamOutcome, attempt: AttemptState): boolean {
  return outcome.kind === "error" && outcome.replaceable && attempt.tokens_out === 0 && !attempt.canceled && attempt.attempts < MAX_DISPATCH_ATTEMPTS;
}

export interface RescueState {
  canceled: boolean;
  /** Rescues this task already had, and how many it may have (config rescue_attempts). */
  rescues: number;
  max_rescues: number;
  /** No client received any of the task's tokens yet (a non-streamed answer, nobody streaming a /v2 task). */
  retractable: boolean;
}

/**
 * Whether a failed attempt that re-placement does not cover (tokens already produced, or the one
 * re-placement used up) is started over instead: the node's failure, not the task's (the error
 * table's re-place column), and no client has seen a token, so the partial output can be discarded.
 */
export function shouldRescue(outcome: WorkerStreamOutcome, state: RescueState): boolean {
  return outcome.kind === "error" && outcome.replaceable && !state.canceled && state.retractable && state.rescues < state.max_rescues;
}

/**
 * Codes with which a worker says it could not read the bytes it got. The orchestrator validated and
 * serialized that request itself, so the bytes changed on the way (a broken proxy or link), not
 * the task: another node may well read it.
 */
const UNREADABLE_REQUEST: ReadonlySet<ErrorCode> = new Set(["MALFORMED_JSON", "MALFORMED_REQUEST"]);

/**
 * Whether a worker's HTTP refusal belongs to the task (no other node would answer differently):
 * a 4xx other than 404 (pool gone) and 429 (busy) with a readable error envelope, unless the envelope
 * says the request could not be read. A 4xx whose reply has no readable envelope is the link's doing
 * (every worker answers with one), as is anything 5xx.
 */
export function refusedForGood(status: number, code: ErrorCode | undefined): boolean {
  if (status < 400 || status >= 500 || status === 404 || status === 429) return false;
  return code !== undefined && !UNREADABLE_REQUEST.has(code);
}

/**
 * Codes with which a worker says it is busy, not broken: all slots taken and its slot queue full, or no
 * slot freed within its wait (REPLICA_EXHAUSTED). The task is re-placed, but the pool is healthy: such a
 * refusal must not count toward outlier ejection, or a saturated fleet would eject its healthy pools.
 */
const BUSY_CODES: ReadonlySet<ErrorCode> = new Set(["REPLICA_EXHAUSTED"]);

/** Whether a worker's refusal says it is busy (HTTP 429, whatever its body, or a busy code) rather than unhealthy. */
export function busyRefusal(status: number | undefined, code: ErrorCode | undefined): boolean {
  return status === 429 || (code !== undefined && BUSY_CODES.has(code));
}
