import { RESPONSES_PARAMS } from "../../../../src-shared/openai/responses-params.js";
import { responsesMessageText, type ResponsesInputMessage, type ResponsesRequest } from "../../../../src-shared/openai/responses.js";
import type { ChatMessage } from "../../../../src-shared/worker-api/chat-message.js";
import type { AdmissionInput } from "../../tasks/admit-task.js";
import { DEFAULT_MAX_TOKENS } from "./openai-mapping.js";
import { refuseUnsupported, requireUserTurnLast } from "./refuse.js";

/** POST /v1/responses → one chat task: instructions become the system turn, input the conversation. */
export function responsesAdmission(req: ResponsesRequest): AdmissionInput {
  refuseUnsupported(RESPONSES_PARAMS, req);
  const messages: ChatMessage[] = [];
  if (req.instructions !== null && req.instructions !== undefined && req.instructions !== "") messages.push({ role: "system", content: req.instructions });
  if (typeof req.input === "string") messages.push({ role: "user", content: req.input });
  else for (const item of req.input as ResponsesInputMessage[]) messages.push({ role: item.role === "developer" ? "system" : item.role, content: responsesMessageText(item) });
  requireUserTurnLast(messages, "input");
  return {
    api: "openai-responses",
    model_ref: req.model,
    priority: "interactive",
    generation: {
      messages,
      max_tokens: req.max_output_tokens ?? DEFAULT_MAX_TOKENS,
      ...(req.temperature !== null && req.temperature !== undefined ? { temperature: req.temperature } : {}),
      ...(req.top_p !== null && req.top_p !== undefined ? { top_p: req.top_p } : {}),
    },
  };
}
