import { describe, expect, it } from "vitest";
import { rejectedPaths } from "../common/validation-issues.js";
import { ErrorEnvelopeSchema, errorEnvelope, retryAfterSeconds } from "./error-envelope.js";

describe("ErrorEnvelope", () => {
  it("accepts the spec's reference envelope and pact body", () => {
    const spec = { code: "ADMISSION_REJECT", message: "queue full policies applied", engine: "llamacpp", retriable: true, retry_after_ms: 1000, policy_label: "reject" };
    expect(ErrorEnvelopeSchema.parse(spec)).toEqual(spec);
    const pact = { code: "ADMISSION_REJECT", engine: "llamacpp", message: "reject policy", policy_label: "reject", retriable: true, retry_after_ms: 2000 };
    expect(ErrorEnvelopeSchema.safeParse(pact).success).toBe(true);
  });

  it("rejects unknown codes, a missing message and negative retry delays", () => {
    expect(rejectedPaths(ErrorEnvelopeSchema, { code: "PoolUnready", message: "x" })).toEqual([["code"]]);
    expect(rejectedPaths(ErrorEnvelopeSchema, { code: "INTERNAL" })).toEqual([["message"]]);
    expect(rejectedPaths(ErrorEnvelopeSchema, { code: "INTERNAL", message: "x", retry_after_ms: -1 })).toEqual([["retry_after_ms"]]);
  });

  it("errorEnvelope fills the table's retriable default and omits undefined extras", () => {
    expect(errorEnvelope("POOL_UNAVAILABLE", "no pool")).toEqual({ code: "POOL_UNAVAILABLE", message: "no pool", retriable: true });
    const env = errorEnvelope("ADMISSION_REJECT", "full", { retry_after_ms: 1500, policy_label: "reject", pool_id: undefined });
    expect(env).toEqual({ code: "ADMISSION_REJECT", message: "full", retriable: true, retry_after_ms: 1500, policy_label: "reject" });
    expect(Object.keys(env)).not.toContain("pool_id");
    expect(errorEnvelope("INTERNAL", "boom", { retriable: true }).retriable).toBe(true);
    expect(ErrorEnvelopeSchema.safeParse(env).success).toBe(true);
  });

  it("computes Retry-After in whole seconds, at least 1, rounded up (never before the wait is over)", () => {
    expect(retryAfterSeconds(2000)).toBe(2);
    expect(retryAfterSeconds(2001)).toBe(3);
    expect(retryAfterSeconds(2999)).toBe(3);
    expect(retryAfterSeconds(1000)).toBe(1);
    expect(retryAfterSeconds(500)).toBe(1);
    expect(retryAfterSeconds(0)).toBe(1);
  });
});
