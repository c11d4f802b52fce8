import { z } from "zod";

/** OpenAI-style error body used on /v1/* routes so SDK clients surface the message. */
export const OpenAiErrorSchema = z.object({
  error: z.object({
    message: z.string(),
    /** e.g. invalid_request_error, rate_limit_error, authentication_error, server_error. */
    type: z.string(),
    param: z.string().nullable(),
    /** Our ErrorCode, so clients can branch on the same codes as on /v2. */
    code: z.string().nullable(),
  }),
});
export type OpenAiError = z.infer<typeof OpenAiErrorSchema>;

/** OpenAI error `type` for an HTTP status (the classes the official SDKs map). */
export function openAiErrorType(httpStatus: number): string {
  if (httpStatus === 401) return "authentication_error";
  if (httpStatus === 403) return "permission_error";
  if (httpStatus === 404) return "not_found_error";
  if (httpStatus === 429) return "rate_limit_error";
  if (httpStatus >= 500) return "server_error";
  return "invalid_request_error";
}
