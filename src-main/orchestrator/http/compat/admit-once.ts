import { OrchError } from "../../../../src-shared/errors/orch-error.js";
import type { RouteContext } from "../../../../src-node/route-context.js";
import type { AdmissionInput } from "../../tasks/admit-task.js";
import type { Task } from "../../tasks/task.js";
import type { OrchestratorContext } from "../../orchestrator-context.js";
import { assertSameRequest } from "../../tasks/keyed-retry.js";
import { idempotencyKeyOf } from "../idempotency-key.js";

/** The task a compatible request is answered from, and whether it was admitted by this request. */
export interface AdmittedOnce {
  task: Task;
  /** True when an earlier request with the same Idempotency-Key started it: this one only follows. */
  replayed: boolean;
}

/**
 * Admits the request, or, for a retry with an Idempotency-Key already used by the same credential,
 * returns the earlier task so it runs once (if the retry asks for the same thing: keyed-retry.ts): live, or rebuilt from the result the journal kept (after
 * eviction or a restart). A result that was not kept (over the size bound, past retention) is a
 * 409 rather than a second generation.
 */
export function admitOnce(ctx: OrchestratorContext, rc: RouteContext, input: AdmissionInput): AdmittedOnce {
  const key = idempotencyKeyOf(rc.req, rc.identity);
  const traced = { ...input, trace_parent: rc.span, owner: rc.identity.credentialId };
  if (key === undefined) return admitted(ctx, rc, traced);
  const earlier = ctx.tasks.forIdempotencyKey(key);
  if (earlier === null) return admitted(ctx, rc, { ...traced, idempotency_key: key });
  if ("task" in earlier) {
    assertSameRequest(earlier.task, traced);
    rc.res.setHeader("Idempotent-Replayed", "true");
    return { task: earlier.task, replayed: true };
  }
  throw new OrchError("CONFLICT", `this Idempotency-Key was used for task ${earlier.task_id}, which has finished and whose result is no longer available (results are kept 24 h, up to 1 MiB each); send a new key to run the request again`);
}

/**
 * Admits; a key with limits learns where it stands (x-ratelimit-*), as OpenAI's API tells its clients,
 * on the answer and on the 429 that refuses it for those limits (clients pace themselves from either).
 */
function admitted(ctx: OrchestratorContext, rc: RouteContext, input: AdmissionInput): AdmittedOnce {
  let task: Task;
  try {
    task = ctx.tasks.admit(input);
  } catch (err) {
    if (err instanceof OrchError && KEY_LIMIT_CODES.has(err.code)) setLimitHeaders(ctx, rc, input.owner ?? null);
    throw err;
  }
  setLimitHeaders(ctx, rc, task.owner);
  return { task, replayed: false };
}

const KEY_LIMIT_CODES: ReadonlySet<string> = new Set(["KEY_RATE_LIMITED", "KEY_QUOTA_EXCEEDED"]);

function setLimitHeaders(ctx: OrchestratorContext, rc: RouteContext, owner: string | null): void {
  const headers = ctx.keyUsage.limitHeaders(owner);
  if (headers !== null) for (const [name, value] of Object.entries(headers)) rc.res.setHeader(name, value);
}
