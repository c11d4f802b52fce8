import type { AnthropicMessagesRequest } from "../../../../src-shared/anthropic/messages.js";
import type { OrchestratorContext } from "../../orchestrator-context.js";
import type { RouteHandler } from "../../../../src-node/route-context.js";
import { anthropicRenderers } from "../compat/anthropic-renderer.js";
import { messagesAdmission } from "../compat/anthropic-mapping.js";
import { recordEndUser } from "../compat/end-user.js";
import { respondWith, serveTask } from "../compat/serve-task.js";

/**
 * Anthropic Messages API over the task path. POST /v1/messages/count_tokens is not served: the
 * orchestrator has no tokenizer, and only a count from the model's own tokenizer would be honest.
 */
export function anthropicHandlers(ctx: OrchestratorContext): Record<string, RouteHandler> {
  return {
    anthropicMessages: (rc) => {
      const req = rc.body as AnthropicMessagesRequest;
      // Errors after admission are envelopes here; surface-errors.ts rewrites them in Anthropic's shape.
      const task = serveTask(ctx, rc, messagesAdmission(req), (t) => respondWith(anthropicRenderers(t, req), req.stream === true), "envelope");
      recordEndUser(ctx, rc.identity, task.task_id, task.api, req.metadata?.user_id ?? undefined);
    },
  };
}
