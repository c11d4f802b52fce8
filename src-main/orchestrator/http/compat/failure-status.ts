import { ERROR_CODES, type ErrorCode } from "../../../../src-shared/errors/error-codes.js";

/**
 * The HTTP status a compatible surface (OpenAI, Anthropic, Ollama) answers a task that failed with `code`.
 * The error table's status, except where the seed's `/v2` pact says 500 for what, to a client of a
 * gateway, is its upstream failing: a worker that died or reset (after the one re-placement or rescue also
 * failed) is 502 Bad Gateway, a decode that timed out 504. A 500 is then only ever this server's own fault
 * (INTERNAL), which is what clients, proxies and alerting read it as; the SDKs retry 502/504 as they do 500.
 */
export function compatFailureStatus(code: ErrorCode): number {
  if (code === "WORKER_RESET") return 502;
  if (code === "DECODE_TIMEOUT") return 504;
  return ERROR_CODES[code].http_status;
}
