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
