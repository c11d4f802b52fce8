import { z } from "zod";

/** Anthropic's error body, on HTTP errors and as the data of a streamed `error` event. */
export const AnthropicErrorSchema = z.object({
  type: z.literal("error"),
  error: z.object({
    /** invalid_request_error, authentication_error, permission_error, not_found_error, request_too_large, rate_limit_error, api_error, overloaded_error. */
    type: z.string(),
    message: z.string(),
  }),
});
export type AnthropicError = z.infer<typeof AnthropicErrorSchema>;

/**
 * The status Anthropic's clients get: a 503 (no pool can serve now, retry later) is Anthropic's 529
 * overloaded_error, which Claude Code and the SDKs treat as "overloaded, retry"; Anthropic never answers 503.
 */
export function anthropicHttpStatus(httpStatus: number): number {
  return httpStatus === 503 ? 529 : httpStatus;
}

/** Anthropic's error `type` for an HTTP status (the classes its SDKs map). */
export function anthropicErrorType(httpStatus: number): string {
  if (httpStatus === 401) return "authentication_error";
  if (httpStatus === 403) return "permission_error";
  if (httpStatus === 404) return "not_found_error";
  if (httpStatus === 413) return "request_too_large";
  if (httpStatus === 429) return "rate_limit_error";
  if (httpStatus === 503 || httpStatus === 529) return "overloaded_error";
  if (httpStatus >= 500) return "api_error";
  return "invalid_request_error";
}

/** Anthropic's words for a prompt the context cannot hold: Claude Code compacts the conversation on them, LiteLLM maps them to its context-window error. */
export const ANTHROPIC_PROMPT_TOO_LONG = "prompt is too long";

/** `code`: our error code; a prompt too long for the context is said in Anthropic's words first. */
export function anthropicError(httpStatus: number, message: string, code?: string): AnthropicError {
  const said = code === "CONTEXT_TOO_LONG" && !message.startsWith(ANTHROPIC_PROMPT_TOO_LONG) ? `${ANTHROPIC_PROMPT_TOO_LONG}: ${message}` : message;
  return { type: "error", error: { type: anthropicErrorType(httpStatus), message: said } };
}
