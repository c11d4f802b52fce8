import { describe, expect, it } from "vitest";
import type { SseEvent } from "../../../src-shared/streaming/sse-events.js";
import { openDatabase } from "./database.js";
import { IdempotentResults, RESULT_KEPT_MS, RESULT_MAX_BYTES, RESULTS_MAX_TOTAL_BYTES } from "./idempotent-results.js";

const stream = (text: string): SseEvent[] => [
  { event: "started", data: { queue_position: 0, predicted_start_ms: 0, task_id: "t", model: "m" } },
  { event: "token", data: { t: text, i: 0 } },
  { event: "end", data: { tokens_out: 1, decode_ms: 1, decode_time_ms: 1 } },
];

describe("keyed results kept in the journal", () => {
  it("round-trips a stream exactly", () => {
    const results = new IdempotentResults(openDatabase(":memory:"));
    expect(results.put("a", 1000, stream("hello"))).toBe(true);
    expect(results.get("a")).toEqual(stream("hello"));
    expect(results.get("missing")).toBeNull();
  });

  it("keeps the boot the stream's event ids carried, so a resume after a restart skips what the client had", () => {
    const results = new IdempotentResults(openDatabase(":memory:"));
    results.put("a", 1000, stream("hello"), "0badc0de");
    results.put("old", 1000, stream("hello"));
    expect(results.kept("a")).toEqual({ events: stream("hello"), boot_id: "0badc0de" });
    expect(results.kept("old")?.boot_id).toBeNull();
  });

  it("keeps nothing for a result over the size bound", () => {
    const results = new IdempotentResults(openDatabase(":memory:"));
    expect(results.put("big", 1000, stream("x".repeat(RESULT_MAX_BYTES)))).toBe(false);
    expect(results.get("big")).toBeNull();
  });

  it("drops results past the age bound, and the oldest first past the total-bytes bound", () => {
    const results = new IdempotentResults(openDatabase(":memory:"));
    results.put("old", 1000, stream("old"));
    results.put("young", 1000 + RESULT_KEPT_MS, stream("young"));
    results.prune(1001 + RESULT_KEPT_MS);
    expect(results.get("old")).toBeNull();
    expect(results.get("young")).not.toBeNull();
    // Fill past the total with results just under the per-result bound: the oldest go.
    const chunk = "y".repeat(RESULT_MAX_BYTES - 1024);
    const count = Math.ceil(RESULTS_MAX_TOTAL_BYTES / (RESULT_MAX_BYTES - 1024)) + 2;
    const t0 = 2000 + RESULT_KEPT_MS;
    for (let i = 0; i < count; i++) results.put(`r${i}`, t0 + i, stream(chunk));
    results.prune(t0 + count);
    expect(results.get("young")).toBeNull();
    expect(results.get("r0")).toBeNull();
    expect(results.get(`r${count - 1}`)).not.toBeNull();
  });
});
