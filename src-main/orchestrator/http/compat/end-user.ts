import type { OrchestratorContext } from "../../orchestrator-context.js";
import type { Identity } from "../../../../src-node/route-context.js";

/**
 * Records the end user a compatible client names (OpenAI `user`, Anthropic `metadata.user_id`) with
 * the task, in the log and the audit trail. It is only a label: it never opens a budgeted session
 * (sessions are opt-in through /v2).
 */
export function recordEndUser(ctx: OrchestratorContext, identity: Identity, taskId: string, api: string, endUser: string | undefined): void {
  if (endUser === undefined || endUser === "") return;
  const user = endUser.slice(0, 256);
  ctx.logger.info({ task_id: taskId, api, end_user: user, identity: identity.label }, "end user of task");
  ctx.audit.record({ at_ms: Date.now(), identity: identity.label, action: "end_user", target: `task:${taskId}`, outcome: "success", details: { api, end_user: user } });
}
