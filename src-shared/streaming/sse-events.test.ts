import { describe, expect, it } from "vitest";
import { rejectedPaths } from "../common/validation-issues.js";
import {
  SseEndDataSchema,
  SseErrorDataSchema,
  SseEventSchema,
  SseMetricsDataSchema,
  SseStartedDataSchema,
  SseTokenDataSchema,
  isTerminalSseEvent,
} from "./sse-events.js";

describe("SSE event payloads", () => {
  it("accept the spec's illustrative stream (§3.1)", () => {
    expect(SseStartedDataSchema.safeParse({ queue_position: 2, predicted_start_ms: 200 }).success).toBe(true);
    expect(SseTokenDataSchema.safeParse({ t: "Hi", i: 0 }).success).toBe(true);
    const metrics = { queue_depth: 2, on_time_probability: 0.97, kv_warmth: true, prep: { "model:hf:org/repo/m.gguf": { status: "completed", pct: 100, human: "model staged" } } };
    // Metrics are open: unknown keys such as `prep` survive parsing.
    expect(SseMetricsDataSchema.parse(metrics)).toEqual(metrics);
    expect(SseEndDataSchema.safeParse({ tokens_out: 32, decode_ms: 1800, decode_time_ms: 1800 }).success).toBe(true);
    expect(SseMetricsDataSchema.safeParse({ queue_depth: 1, on_time_probability: 0.99, kv_warmth: false, tokens_budget_remaining: 0, time_budget_remaining_ms: 600000, cost_budget_remaining: 0.0 }).success).toBe(true);
  });

  it("accept a cancelled end and a spec error", () => {
    expect(SseEndDataSchema.safeParse({ tokens_out: 3, decode_ms: 10, decode_time_ms: 10, canceled: true, stop_reason: "canceled" }).success).toBe(true);
    expect(SseErrorDataSchema.safeParse({ code: "WORKER_RESET", retriable: true, message: "node lost", retry_after_ms: 500, engine: "llamacpp" }).success).toBe(true);
  });

  it("reject malformed payloads at the offending field", () => {
    expect(rejectedPaths(SseStartedDataSchema, { queue_position: -1, predicted_start_ms: 0 })).toEqual([["queue_position"]]);
    expect(rejectedPaths(SseTokenDataSchema, { t: "x", i: 1.5 })).toEqual([["i"]]);
    expect(rejectedPaths(SseTokenDataSchema, { i: 0 })).toEqual([["t"]]);
    // The original canned stream sent end without decode_ms; we require both names.
    expect(rejectedPaths(SseEndDataSchema, { tokens_out: 1, decode_time_ms: 5 })).toEqual([["decode_ms"]]);
    expect(rejectedPaths(SseEndDataSchema, { tokens_out: 1, decode_ms: 5, decode_time_ms: 5, stop_reason: "length" })).toEqual([["stop_reason"]]);
    expect(rejectedPaths(SseErrorDataSchema, { code: "PoolUnready", retriable: true })).toEqual([["code"]]);
    expect(rejectedPaths(SseErrorDataSchema, { code: "INTERNAL" })).toEqual([["retriable"]]);
    expect(rejectedPaths(SseMetricsDataSchema, { on_time_probability: 1.5 })).toEqual([["on_time_probability"]]);
  });

  it("discriminate on the event name", () => {
    expect(SseEventSchema.safeParse({ event: "token", data: { t: "a", i: 0 } }).success).toBe(true);
    expect(rejectedPaths(SseEventSchema, { event: "token", data: { queue_position: 0, predicted_start_ms: 0 } })).toEqual([["data", "t"], ["data", "i"]]);
    expect(rejectedPaths(SseEventSchema, { event: "narration", data: {} })).toEqual([["event"]]);
  });

  it("treat only end and error as terminal", () => {
    expect(isTerminalSseEvent({ event: "end", data: { tokens_out: 0, decode_ms: 0, decode_time_ms: 0 } })).toBe(true);
    expect(isTerminalSseEvent({ event: "error", data: { code: "INTERNAL", retriable: false } })).toBe(true);
    expect(isTerminalSseEvent({ event: "token", data: { t: "a", i: 0 } })).toBe(false);
    expect(isTerminalSseEvent({ event: "started", data: { queue_position: 0, predicted_start_ms: 0 } })).toBe(false);
    expect(isTerminalSseEvent({ event: "metrics", data: {} })).toBe(false);
  });
});
