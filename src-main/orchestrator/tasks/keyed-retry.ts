import { OrchError } from "../../../src-shared/errors/orch-error.js";
import type { AdmissionInput } from "./admit-task.js";
import { requestFingerprint } from "./request-fingerprint.js";
import type { Task } from "./task.js";

/** The fingerprint of what an admission asks for (see request-fingerprint.ts): a keyed retry must match it. */
export function admissionFingerprint(input: AdmissionInput): string {
  return requestFingerprint({
    api: input.api,
    workload: input.workload ?? "completion",
    engine: input.engine ?? "llamacpp",
    model_ref: input.model_ref,
    priority: input.priority,
    ctx: input.ctx,
    deadline_ms: input.deadline_ms,
    generation: input.generation,
    placement: input.placement,
  });
}

/**
 * A request carrying an Idempotency-Key that an earlier task holds is a retry only if it asks for the
 * same thing; otherwise it is refused (422, as the IETF Idempotency-Key draft and Stripe answer it)
 * rather than given the earlier request's answer. Tasks journaled before fingerprints are not checked.
 */
export function assertSameRequest(earlier: Pick<Task, "task_id" | "request_fingerprint">, input: AdmissionInput): void {
  if (earlier.request_fingerprint === null || earlier.request_fingerprint === admissionFingerprint(input)) return;
  throw new OrchError("IDEMPOTENCY_KEY_REUSED", `this Idempotency-Key was already used for a different request (task ${earlier.task_id}); resend that request unchanged to get its result, or use a new key for a new request`);
}
