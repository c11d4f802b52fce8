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

/** The engines answer the last turn of a conversation, so it must be the user's (no assistant prefill yet). */
export function requireUserTurnLast(messages: readonly ChatMessage[], param = "messages"): void {
  const last = messages[messages.length - 1];
  if (last === undefined) throw unsupported(param, `${param} must contain at least one user turn`);
  if (last.role !== "user") throw unsupported(param, `${param}: a last turn from the ${last.role} is not supported: the engine answers the user's last turn (continuing an assistant prefill is not available yet)`);
}
