import { describe, expect, it } from "vitest";
import { busyRefusal, refusedForGood, shouldRescue } from "./replace-policy.js";

// A worker's refusal ends the task only when it is about the task; one the link caused (bytes
// mangled on the way: no readable envelope, or "could not read the request") moves it to another
// node. The fault soak found a task ended with WORKER_RESET after one attempt while other holders
// were online: a corrupted reply had been judged a permanent refusal.
describe("refusedForGood", () => {
  it("a readable 4xx about the task is final", () => {
    expect(refusedForGood(400, "CONTEXT_TOO_LONG")).toBe(true);
    expect(refusedForGood(400, "INVALID_PARAMS")).toBe(true);
    expect(refusedForGood(403, "FORBIDDEN_HOST")).toBe(true);
  });

  it("a 4xx the link may have caused is not: no readable envelope, or the worker could not read the request", () => {
    expect(refusedForGood(400, undefined)).toBe(false);
    expect(refusedForGood(400, "MALFORMED_JSON")).toBe(false);
    expect(refusedForGood(400, "MALFORMED_REQUEST")).toBe(false);
  });

  it("404 (pool gone), 429 (busy) and 5xx are never final", () => {
    expect(refusedForGood(404, "POOL_UNAVAILABLE")).toBe(false);
    expect(refusedForGood(429, "ADMISSION_REJECT")).toBe(false);
    expect(refusedForGood(503, "POOL_UNREADY")).toBe(false);
  });
});

// A rescue starts a task over after its output was discarded: only for the node's failures, never
// after a client saw a token, never past rescue_attempts, never for a canceled task.
describe("shouldRescue", () => {
  const crashed = { kind: "error" as const, code: "ENGINE_CRASHED" as const, message: "engine died", replaceable: true };
  const state = { canceled: false, rescues: 0, max_rescues: 1, retractable: true };
  it("rescues a node failure whose output no client received, within the bound", () => {
    expect(shouldRescue(crashed, state)).toBe(true);
    expect(shouldRescue(crashed, { ...state, rescues: 1 })).toBe(false);
    expect(shouldRescue(crashed, { ...state, max_rescues: 0 })).toBe(false);
  });
  it("never after a client received a token, after a cancel, or for the task's own error", () => {
    expect(shouldRescue(crashed, { ...state, retractable: false })).toBe(false);
    expect(shouldRescue(crashed, { ...state, canceled: true })).toBe(false);
    expect(shouldRescue({ ...crashed, code: "CONTEXT_TOO_LONG", replaceable: false }, state)).toBe(false);
    expect(shouldRescue({ kind: "end", data: { tokens_out: 1, decode_ms: 1, decode_time_ms: 1 } }, state)).toBe(false);
  });
});

describe("busyRefusal (does not count toward outlier ejection)", () => {
  it("is true for a 429 whatever its body, and for the worker's no-free-slot code", () => {
    expect(busyRefusal(429, undefined)).toBe(true);
    expect(busyRefusal(429, "INTERNAL")).toBe(true);
    expect(busyRefusal(503, "REPLICA_EXHAUSTED")).toBe(true);
    expect(busyRefusal(undefined, "REPLICA_EXHAUSTED")).toBe(true);
  });

  it("is false for failures that say the pool is unhealthy", () => {
    for (const code of ["ENGINE_CRASHED", "WORKER_RESET", "POOL_UNREADY", "DECODE_TIMEOUT"] as const) expect(busyRefusal(503, code)).toBe(false);
    expect(busyRefusal(500, undefined)).toBe(false);
    expect(busyRefusal(undefined, undefined)).toBe(false);
  });
});
