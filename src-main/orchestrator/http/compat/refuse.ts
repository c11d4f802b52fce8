import { findRefusal, type ParamPolicy } from "../../../../src-shared/compat/param-policy.js";
import { OrchError } from "../../../../src-shared/errors/orch-error.js";
import type { ChatMessage } from "../../../../src-shared/worker-api/chat-message.js";

/** A 400 that names the parameter (OpenAI's `param`, the message of the other shapes). */
export function unsupported(param: string, message: string): OrchError {
  return new OrchError("INVALID_PARAMS", message, { details: { issues: [{ path: param.split("."), message }] } });
}

/** Throws for the first parameter of `body` the surface cannot honour. */
export function refuseUnsupported(policy: ParamPolicy, body: Readonly<Record<string, unknown>>, prefix = ""): void {
  const refusal = findRefusal(policy, body);
  if (refusal !== null) throw unsupported(prefix + refusal.param, prefix === "" ? refusal.message : `${prefix}${refusal.message}`);
}

/**
 * The engines answer the user's last turn, or continue a last assistant turn (a prefill: only the
 * continuation is returned, as Anthropic's API, Ollama and llama-server do). An assistant turn that
 * calls tools cannot be continued: its results must follow. (Tool results last are checked by callers.)
 */
export function requireAnswerableLastTurn(messages: readonly ChatMessage[], param = "messages", systemOnly: "answered" | "refused" = "refused"): void {
  const last = messages[messages.length - 1];
  if (last === undefined) throw unsupported(param, `${param} must contain at least one user turn`);
  // OpenAI (and llama-server) answer instructions alone: the model speaks first.
  if (systemOnly === "answered" && messages.every((m) => m.role === "system")) return;
  if (!messages.some((m) => m.role === "user")) throw unsupported(param, `${param} must contain at least one user turn`);
  if (last.role === "assistant" && (last.tool_calls ?? []).length > 0) throw unsupported(param, `${param}: the last turn calls tools; send their results to get an answer`);
  if (last.role !== "user" && last.role !== "assistant") throw unsupported(param, `${param}: a last turn from the ${last.role} is not supported: the engine answers the user's last turn or continues an assistant prefill`);
}
