import { anthropicText, type AnthropicMessagesRequest } from "../../../../src-shared/anthropic/messages.js";
import { MESSAGES_PARAMS } from "../../../../src-shared/anthropic/messages-params.js";
import type { ChatMessage } from "../../../../src-shared/worker-api/chat-message.js";
import type { AdmissionInput } from "../../tasks/admit-task.js";
import { refuseUnsupported, requireUserTurnLast } from "./refuse.js";

/** POST /v1/messages → one chat task: `system` becomes the system turn, stop_sequences the stop strings. */
export function messagesAdmission(req: AnthropicMessagesRequest): AdmissionInput {
  refuseUnsupported(MESSAGES_PARAMS, req);
  const messages: ChatMessage[] = [];
  const system = req.system === undefined ? "" : anthropicText(req.system);
  if (system !== "") messages.push({ role: "system", content: system });
  for (const m of req.messages) messages.push({ role: m.role, content: anthropicText(m.content) });
  requireUserTurnLast(messages);
  return {
    api: "anthropic-messages",
    model_ref: req.model,
    priority: "interactive",
    generation: {
      messages,
      max_tokens: req.max_tokens,
      ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
      ...(req.top_p !== undefined ? { top_p: req.top_p } : {}),
      ...(req.top_k !== undefined ? { top_k: req.top_k } : {}),
      ...(req.stop_sequences !== undefined && req.stop_sequences.length > 0 ? { stop: req.stop_sequences } : {}),
    },
  };
}
