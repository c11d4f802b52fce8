import type { Identity } from "../../../src-node/route-context.js";
import { OrchError } from "../../../src-shared/errors/orch-error.js";

/** Credentials that see every task: admin, and read (status GETs for monitoring and the dashboard). */
export function seesEveryTask(identity: Identity): boolean {
  return identity.scopes.includes("admin") || identity.scopes.includes("read");
}

/**
 * Whether a credential may see, follow or cancel a task with this owner: its own tasks only, unless
 * it sees every task. A task journaled before owners existed (owner null) is visible to those only.
 */
export function mayAccessTask(identity: Identity, owner: string | null): boolean {
  return seesEveryTask(identity) || (owner !== null && owner === identity.credentialId);
}

/**
 * Throws TASK_NOT_FOUND for a task that does not exist or that this credential may not access: the
 * same answer for both, so another client's task ids cannot be probed.
 */
export function assertTaskAccess(identity: Identity, taskId: string, owner: string | null | undefined): void {
  if (owner === undefined || !mayAccessTask(identity, owner)) throw new OrchError("TASK_NOT_FOUND", `no task ${taskId}`);
}

/**
 * Whether a credential may cancel (or, by hanging up, end) a task: the credential that admitted it, or
 * admin. `read` sees every task but ends none (monitoring must not be able to stop another key's work).
 */
export function mayCancelTask(identity: Identity, owner: string | null): boolean {
  return identity.scopes.includes("admin") || (owner !== null && owner === identity.credentialId);
}
