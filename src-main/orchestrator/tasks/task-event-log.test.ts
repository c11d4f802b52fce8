import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { SseEvent } from "../../../src-shared/streaming/sse-events.js";
import { TaskEventLog } from "./task-event-log.js";

const started: SseEvent = { event: "started", data: { queue_position: 0, predicted_start_ms: 0 } };
const end: SseEvent = { event: "end", data: { tokens_out: 3, decode_ms: 1, decode_time_ms: 1 } };

/** A token event of one of the shapes a task can hold: plain, with logprobs, a tool call fragment, an unknown field. */
const tokenArb = (i: number) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.string().map((t): SseEvent => ({ event: "token", data: { t, i } })) },
    { weight: 1, arbitrary: fc.string().map((t): SseEvent => ({ event: "token", data: { t, i, logprobs: [{ token: t, logprob: -0.5, bytes: [], top_logprobs: [] }] } })) },
    { weight: 1, arbitrary: fc.string().map((t): SseEvent => ({ event: "token", data: { t: "", i, tool_call: { index: 0, arguments: t } } })) },
    { weight: 1, arbitrary: fc.string().map((t): SseEvent => ({ event: "token", data: { t, i, extra: 1 } as never })) },
  );

/** started, then tokens (indices mostly consecutive, sometimes skipping) with metrics frames between, then end. */
const streamArb = fc
  .array(fc.tuple(fc.boolean(), fc.nat({ max: 2 }), fc.boolean()), { maxLength: 60 })
  .chain((steps) => {
    let i = 0;
    const parts = steps.map(([metrics, skip]) => {
      i += skip === 2 ? 3 : 1;
      return metrics ? fc.constant<SseEvent>({ event: "metrics", data: { queue_depth: i } }) : tokenArb(i);
    });
    return fc.tuple(...parts);
  })
  .map((events) => [started, ...events, end]);

describe("TaskEventLog", () => {
  it("replays a packed log exactly as it was written: same events, same order, same length and last event", () => {
    fc.assert(
      fc.property(streamArb, (events) => {
        const log = TaskEventLog.of(events);
        expect([...log]).toEqual(events);
        log.pack();
        expect(log.length).toBe(events.length);
        expect(log.last()).toEqual(events[events.length - 1]);
        expect([...log]).toEqual(events);
        // Keys in the order the live path writes them (the SSE data is JSON of the object).
        expect([...log].map((e) => JSON.stringify(e))).toEqual(events.map((e) => JSON.stringify(e)));
        log.pack();
        expect([...log]).toEqual(events);
      }),
      { numRuns: 500 },
    );
  });

  it("folds a run of plain tokens into one string, and reads the last token of a log that ends in one", () => {
    const tokens = Array.from({ length: 100 }, (_, i): SseEvent => ({ event: "token", data: { t: ` tok${i}`, i } }));
    const log = TaskEventLog.of([started, ...tokens]);
    log.pack();
    expect(log.length).toBe(101);
    expect(log.last()).toEqual({ event: "token", data: { t: " tok99", i: 99 } });
    // started + one run: what the history keeps for a 100-token task.
    expect((log as unknown as { entries: unknown[] }).entries).toHaveLength(2);
    expect([...log]).toEqual([started, ...tokens]);
  });
});
