import { describe, expect, it } from "vitest";
import { ERROR_CODES, ERROR_CODE_LIST, httpStatusForCode, isErrorCode } from "./error-codes.js";

describe("error code table", () => {
  it("uses the spec's statuses for the spec's codes", () => {
    const expected: Record<string, number> = {
      ADMISSION_REJECT: 429, QUEUE_FULL_DROP_LRU: 429, INVALID_PARAMS: 400, DEADLINE_UNMET: 400,
      POOL_UNREADY: 503, POOL_UNAVAILABLE: 503, REPLICA_EXHAUSTED: 503, DECODE_TIMEOUT: 500,
      WORKER_RESET: 500, INTERNAL: 500, MODEL_DEPRECATED: 410, UNTRUSTED_ARTIFACT: 400,
      MODEL_NOT_AVAILABLE: 503, NODE_UNAVAILABLE: 503, MISSING_TOKEN: 401, BAD_TOKEN: 401,
      NON_LOOPBACK_WITHOUT_TOKEN: 403, NOT_FOUND: 404, TASK_NOT_FOUND: 404, POOL_NOT_FOUND: 404,
      NODE_NOT_FOUND: 404, SESSION_NOT_FOUND: 404, MODEL_NOT_FOUND: 404, CONFLICT: 409,
      PAYLOAD_TOO_LARGE: 413, MALFORMED_JSON: 400, UNSUPPORTED_MEDIA_TYPE: 415, FORBIDDEN_HOST: 403,
      FORBIDDEN_ORIGIN: 403, METHOD_NOT_ALLOWED: 405, CONTEXT_TOO_LONG: 400, BUDGET_EXCEEDED: 429,
      ENGINE_CRASHED: 503, MODEL_TOO_LARGE: 507, NOT_SUPPORTED: 501,
    };
    for (const [code, status] of Object.entries(expected)) {
      expect(isErrorCode(code), code).toBe(true);
      if (isErrorCode(code)) expect(httpStatusForCode(code), code).toBe(status);
    }
    expect(isErrorCode("CANCELED")).toBe(true);
  });

  it("lists every code once, all SCREAMING_SNAKE_CASE with a description", () => {
    expect(new Set(ERROR_CODE_LIST).size).toBe(ERROR_CODE_LIST.length);
    for (const code of ERROR_CODE_LIST) {
      expect(code).toMatch(/^[A-Z][A-Z0-9_]*$/);
      expect(ERROR_CODES[code].description.length).toBeGreaterThan(10);
    }
  });

  it("marks backpressure as retriable and client mistakes as not", () => {
    expect(ERROR_CODES.ADMISSION_REJECT.retriable).toBe(true);
    expect(ERROR_CODES.POOL_UNAVAILABLE.retriable).toBe(true);
    expect(ERROR_CODES.INVALID_PARAMS.retriable).toBe(false);
    expect(ERROR_CODES.BAD_TOKEN.retriable).toBe(false);
  });

  it("rejects unknown codes and prototype keys", () => {
    expect(isErrorCode("PoolUnready")).toBe(false);
    expect(isErrorCode("toString")).toBe(false);
    expect(isErrorCode(42)).toBe(false);
  });
});
