import type { AnthropicCountTokensRequest, AnthropicMessagesRequest } from "../../../../src-shared/anthropic/messages.js";
import type { OrchestratorContext } from "../../orchestrator-context.js";
import type { RouteHandler } from "../../../../src-node/route-context.js";
import { anthropicRenderers } from "../compat/anthropic-renderer.js";
import { countTokensAdmission, messagesAdmission } from "../compat/anthropic-mapping.js";
import { recordEndUser } from "../compat/end-user.js";
import { respondWith, serveTask } from "../compat/serve-task.js";

/**
 * Anthropic Messages API over the task path. count_tokens is a task too: the orchestrator has no
 * tokenizer, so a worker serving the model counts with the model's own tokenizer and chat template.
 */
export function anthropicHandlers(ctx: OrchestratorContext): Record<string, RouteHandler> {
  return {
    anthropicMessages: (rc) => {
      const req = rc.body as AnthropicMessagesRequest;
      const task = serveTask(ctx, rc, messagesAdmission(req), (t) => respondWith(anthropicRenderers(t, req), req.stream === true), "anthropic");
      recordEndUser(ctx, rc.identity, task.task_id, task.api, req.metadata?.user_id ?? undefined);
    },

    anthropicCountTokens: (rc) => {
      const req = rc.body as AnthropicCountTokensRequest;
      serveTask(ctx, rc, countTokensAdmission(req), () => ({ body: { body: (done) => ({ input_tokens: done.promptTokens }) } }), "anthropic");
    },
  };
}
