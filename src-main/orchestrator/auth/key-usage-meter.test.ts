import { describe, expect, it } from "vitest";
import { NO_KEY_LIMITS, type KeyLimits } from "../../../src-shared/auth/key-limits.js";
import type { OrchError } from "../../../src-shared/errors/orch-error.js";
import { openDatabase } from "../db/database.js";
import { KeyUsageStore } from "../db/key-usage-store.js";
import { createLogger } from "../logging/logger.js";
import { KeyUsageMeter, quotaReservation } from "./key-usage-meter.js";

const START = Date.UTC(2026, 10, 30, 23, 59, 0);

function meter(limits: Record<string, KeyLimits>, store = new KeyUsageStore(openDatabase(":memory:"))) {
  const clock = { now: START };
  const m = new KeyUsageMeter({ store, limitsOf: (id) => limits[id] ?? NO_KEY_LIMITS, logger: createLogger("silent", "test"), now: () => clock.now });
  return { m, clock, store };
}

const refusal = (f: () => void): OrchError | null => {
  try {
    f();
    return null;
  } catch (err) {
    return err as OrchError;
  }
};

describe("KeyUsageMeter", () => {
  it("a token bucket: a minute's worth at once, then one more per 60/rpm seconds; a refusal consumes nothing", () => {
    const { m, clock } = meter({ a: { requests_per_minute: 2, tokens_per_day: null } });
    for (let i = 0; i < 2; i++) {
      m.check("key:a");
      m.admitted("key:a");
    }
    const refused = refusal(() => m.check("key:a"));
    expect(refused?.code).toBe("KEY_RATE_LIMITED");
    expect(refused?.envelope.retry_after_ms).toBe(30_000);
    clock.now += 29_000;
    expect(refusal(() => m.check("key:a"))?.envelope.retry_after_ms).toBe(1000);
    clock.now += 1000;
    expect(refusal(() => m.check("key:a"))).toBeNull();
    // Other credentials are never limited by a's limits.
    for (const other of ["key:b", "builtin", "session", null]) expect(refusal(() => m.check(other))).toBeNull();
  });

  it("tokens per UTC day: refused once used, again allowed when the day turns; the counts reach the store by day", () => {
    const { m, clock, store } = meter({ q: { requests_per_minute: null, tokens_per_day: 10 } });
    m.check("key:q");
    m.admitted("key:q");
    m.finished("key:q", 6, 4);
    const refused = refusal(() => m.check("key:q"));
    expect(refused?.code).toBe("KEY_QUOTA_EXCEEDED");
    expect(refused?.envelope.retry_after_ms).toBe(60_000);
    clock.now += 60_000; // 00:00 UTC
    expect(refusal(() => m.check("key:q"))).toBeNull();
    expect(m.usedToday("key:q")).toEqual({ requests: 0, tokens_in: 0, tokens_out: 0 });
    m.admitted("key:q");
    m.flush();
    expect(store.since("2026-11-30").map((r) => [r.day, r.requests, r.tokens_in, r.tokens_out])).toEqual([
      ["2026-12-01", 1, 0, 0],
      ["2026-11-30", 1, 6, 4],
    ]);
  });

  it("a new meter on the same database starts from today's totals (a restart does not reset a quota)", () => {
    const first = meter({ q: { requests_per_minute: null, tokens_per_day: 10 } });
    first.m.admitted("key:q");
    first.m.finished("key:q", 8, 2);
    first.m.close();
    const second = meter({ q: { requests_per_minute: null, tokens_per_day: 10 } }, first.store);
    expect(second.m.usedToday("key:q")).toEqual({ requests: 1, tokens_in: 8, tokens_out: 2 });
    expect(refusal(() => second.m.check("key:q"))?.code).toBe("KEY_QUOTA_EXCEEDED");
    second.m.close();
    // Counts added across the two runs, not replaced.
    expect(first.store.day("2026-11-30")).toEqual([{ credential_id: "key:q", day: "2026-11-30", requests: 1, tokens_in: 8, tokens_out: 2 }]);
  });

  it("x-ratelimit-* headers for a key with limits: what is left and when it resets; none for other credentials", () => {
    const { m, clock } = meter({ a: { requests_per_minute: 60, tokens_per_day: 1000 }, b: NO_KEY_LIMITS });
    m.check("key:a");
    m.admitted("key:a");
    m.finished("key:a", 100, 50);
    expect(m.limitHeaders("key:a")).toEqual({
      "x-ratelimit-limit-requests": "60",
      "x-ratelimit-remaining-requests": "59",
      "x-ratelimit-reset-requests": "1s",
      "x-ratelimit-limit-tokens": "1000",
      "x-ratelimit-remaining-tokens": "850",
      "x-ratelimit-reset-tokens": "1m0s",
    });
    // A request in flight: its max_tokens are spoken for until it ends.
    m.check("key:a");
    m.admitted("key:a", { task_id: "t", accepted_at_ms: START, reserve_tokens: 300 });
    expect(m.limitHeaders("key:a")?.["x-ratelimit-remaining-tokens"]).toBe("550");
    m.finished("key:a", 10, 20, "t");
    expect(m.limitHeaders("key:a")?.["x-ratelimit-remaining-tokens"]).toBe("820");
    clock.now += 59_000;
    expect(m.limitHeaders("key:a")?.["x-ratelimit-reset-tokens"]).toBe("1s");
    for (const other of ["key:b", "builtin", null]) expect(m.limitHeaders(other)).toBeNull();
  });

  it("a crash within the 2 s before a write loses no admitted request: the restart counts the unfinished tasks admitted after the written mark, once", () => {
    const store = new KeyUsageStore(openDatabase(":memory:"));
    const first = meter({}, store);
    first.m.admitted("key:a", { task_id: "t1", accepted_at_ms: START, reserve_tokens: 10 });
    first.m.flush();
    // Two more admissions, one in the same millisecond as the written one: only in memory at the crash.
    first.m.admitted("key:a", { task_id: "t2", accepted_at_ms: START, reserve_tokens: 10 });
    first.m.admitted("key:b", { task_id: "t3", accepted_at_ms: START + 1500, reserve_tokens: 10 });
    expect(store.day("2026-11-30").map((r) => [r.credential_id, r.requests])).toEqual([["key:a", 1]]);

    // t1 was running (the journal had its tokens), the others queued.
    const unfinished = [
      { task_id: "t1", owner: "key:a", accepted_at_ms: START, tokens_in: 5, tokens_out: 7 },
      { task_id: "t2", owner: "key:a", accepted_at_ms: START, tokens_in: 0, tokens_out: 0 },
      { task_id: "t3", owner: "key:b", accepted_at_ms: START + 1500, tokens_in: 0, tokens_out: 0 },
      { task_id: "t4", owner: null, accepted_at_ms: START + 1600, tokens_in: 0, tokens_out: 0 },
    ];
    const second = meter({}, store);
    expect(second.m.recovered(unfinished)).toBe(2);
    expect(second.m.usedToday("key:a")).toEqual({ requests: 2, tokens_in: 5, tokens_out: 7 });
    expect(second.m.usedToday("key:b").requests).toBe(1);
    // Written at once: a second crash right away (no flush, no close) finds the queued ones again and counts nothing again.
    const third = meter({}, store);
    expect(third.m.recovered(unfinished.slice(1))).toBe(0);
    expect(store.day("2026-11-30").map((r) => [r.credential_id, r.requests, r.tokens_in, r.tokens_out])).toEqual([
      ["key:a", 2, 5, 7],
      ["key:b", 1, 0, 0],
    ]);
  });

  it("a request admitted before midnight and recovered after it is counted on its own day", () => {
    const store = new KeyUsageStore(openDatabase(":memory:"));
    meter({}, store).m.admitted("key:a", { task_id: "late", accepted_at_ms: START + 30_000, reserve_tokens: 1 });
    const after = meter({}, store);
    after.clock.now = START + 120_000; // 00:01 UTC, the next day
    expect(after.m.recovered([{ task_id: "late", owner: "key:a", accepted_at_ms: START + 30_000, tokens_in: 0, tokens_out: 0 }])).toBe(1);
    expect(after.m.usedToday("key:a").requests).toBe(0);
    expect(store.since("2026-11-30").map((r) => [r.day, r.credential_id, r.requests])).toEqual([["2026-11-30", "key:a", 1]]);
  });

  it("a crash within the 2 s before a write loses nothing of tasks that ended then: the restart counts their requests and tokens from the journal, once", () => {
    const store = new KeyUsageStore(openDatabase(":memory:"));
    const first = meter({}, store);
    first.m.admitted("key:a", { task_id: "t1", accepted_at_ms: START, reserve_tokens: 10 });
    first.m.finished("key:a", 6, 4, "t1", START + 200);
    first.m.flush(); // t1 is written whole
    first.m.admitted("key:a", { task_id: "t2", accepted_at_ms: START + 300, reserve_tokens: 10 });
    first.m.finished("key:a", 3, 2, "t2", START + 500);
    first.m.finished("key:b", 7, 1, "t0", START + 500); // admitted before the written admission, ended after the written end
    // t2's request and tokens and t0's tokens were only in memory at the crash.
    const ended = [
      { task_id: "t1", owner: "key:a", accepted_at_ms: START, finished_at_ms: START + 200, tokens_in: 6, tokens_out: 4 },
      { task_id: "t2", owner: "key:a", accepted_at_ms: START + 300, finished_at_ms: START + 500, tokens_in: 3, tokens_out: 2 },
      { task_id: "t0", owner: "key:b", accepted_at_ms: START - 5000, finished_at_ms: START + 500, tokens_in: 7, tokens_out: 1 },
    ];
    const second = meter({}, store);
    // What the journal is asked for: admissions from the written admission mark, ends from the written end mark.
    expect(second.m.recoveryBounds()).toEqual({ acceptedFromMs: START, finishedFromMs: START + 200 });
    expect(second.m.recovered([], ended, START + 1000)).toBe(1);
    expect(second.m.usedToday("key:a")).toEqual({ requests: 2, tokens_in: 9, tokens_out: 6 });
    expect(second.m.usedToday("key:b")).toEqual({ requests: 0, tokens_in: 7, tokens_out: 1 });
    // Written at once, with both marks: a second crash right away counts nothing again.
    const third = meter({}, store);
    expect(third.m.recoveryBounds()).toEqual({ acceptedFromMs: START + 300, finishedFromMs: START + 500 });
    expect(third.m.recovered([], ended, START + 1100)).toBe(0);
    expect(store.day("2026-11-30").map((r) => [r.credential_id, r.requests, r.tokens_in, r.tokens_out])).toEqual([
      ["key:a", 2, 9, 6],
      ["key:b", 0, 7, 1],
    ]);
  });

  it("the tasks a recovery ended are covered by its end mark: a second crash does not charge their tokens again as ended ones", () => {
    const store = new KeyUsageStore(openDatabase(":memory:"));
    meter({}, store).m.admitted("key:a", { task_id: "run", accepted_at_ms: START, reserve_tokens: 10 });
    const second = meter({}, store);
    const atMs = START + 1000;
    expect(second.m.recovered([{ task_id: "run", owner: "key:a", accepted_at_ms: START, tokens_in: 5, tokens_out: 9 }], [], atMs)).toBe(1);
    // The journal now has the task ended at atMs with those tokens.
    const third = meter({}, store);
    expect(third.m.recoveryBounds().finishedFromMs).toBe(atMs);
    expect(third.m.recovered([], [{ task_id: "run", owner: "key:a", accepted_at_ms: START, finished_at_ms: atMs, tokens_in: 5, tokens_out: 9 }], atMs + 500)).toBe(0);
    expect(third.m.usedToday("key:a")).toEqual({ requests: 1, tokens_in: 5, tokens_out: 9 });
  });

  it("a database from before the end mark: the first start marks its own start, so ends already counted are not charged again", () => {
    const store = new KeyUsageStore(openDatabase(":memory:"));
    store.add("2026-11-30", new Map([["key:a", { requests: 1, tokens_in: 6, tokens_out: 4 }]]), { admitted: { at_ms: START - 100, task_ids: ["old"] } });
    expect(store.finishedThrough()).toBeNull();
    const first = meter({}, store);
    expect(store.finishedThrough()).toEqual({ at_ms: START, task_ids: [] });
    expect(first.m.recovered([], [{ task_id: "old", owner: "key:a", accepted_at_ms: START - 100, finished_at_ms: START - 50, tokens_in: 6, tokens_out: 4 }])).toBe(0);
    expect(first.m.usedToday("key:a")).toEqual({ requests: 1, tokens_in: 6, tokens_out: 4 });
  });

  it("a task that ended before midnight and is recovered after it has its tokens on the day it ended", () => {
    const store = new KeyUsageStore(openDatabase(":memory:"));
    const first = meter({}, store);
    first.m.finished("key:a", 2, 3, "t", START + 30_000);
    const after = meter({}, store);
    after.clock.now = START + 120_000; // 00:01 UTC
    after.m.recovered([], [{ task_id: "t", owner: "key:a", accepted_at_ms: START - 60_000, finished_at_ms: START + 30_000, tokens_in: 2, tokens_out: 3 }], after.clock.now);
    expect(after.m.usedToday("key:a")).toEqual({ requests: 0, tokens_in: 0, tokens_out: 0 });
    expect(store.since("2026-11-30").map((r) => [r.day, r.credential_id, r.tokens_in, r.tokens_out])).toEqual([["2026-11-30", "key:a", 2, 3]]);
  });

  it("keeps the counts of a failed write for the next flush", () => {
    const { m, store } = meter({});
    let fail = true;
    const add = store.add.bind(store);
    store.add = (day, counts, countedThrough) => {
      if (fail) throw new Error("SQLITE_FULL");
      add(day, counts, countedThrough);
    };
    m.admitted("builtin");
    m.finished("builtin", 3, 5);
    m.flush();
    fail = false;
    m.admitted("builtin");
    m.flush();
    expect(store.day("2026-11-30")).toEqual([{ credential_id: "builtin", day: "2026-11-30", requests: 2, tokens_in: 3, tokens_out: 5 }]);
    m.close();
  });

  it("a first start that cannot write the end mark (a full disk) still starts, and writes it with the next counts", () => {
    const store = new KeyUsageStore(openDatabase(":memory:"));
    const addDays = store.addDays.bind(store);
    let fail = true;
    store.addDays = (days, marks) => {
      if (fail) throw new Error("SQLITE_FULL");
      addDays(days, marks);
    };
    const { m } = meter({}, store);
    expect(store.finishedThrough()).toBeNull();
    fail = false;
    m.flush(); // nothing counted yet: the mark alone
    expect(store.finishedThrough()).toEqual({ at_ms: START, task_ids: [] });
  });

  it("a daily quota holds what admitted, unended tasks may still generate: 100 concurrent max_tokens=4096 requests under a 1,000-token quota admit one", () => {
    const { m } = meter({ q: { requests_per_minute: null, tokens_per_day: 1000 } });
    let admitted = 0;
    let lastRefusal: OrchError | null = null;
    for (let i = 0; i < 100; i++) {
      const refused = refusal(() => m.check("key:q"));
      if (refused !== null) {
        lastRefusal = refused;
        continue;
      }
      m.admitted("key:q", { task_id: `t${i}`, accepted_at_ms: START, reserve_tokens: quotaReservation(4096, undefined) });
      admitted++;
    }
    expect(admitted).toBe(1);
    // Retriable soon (one of them ends), not at the day's end: the quota is not used yet.
    expect(lastRefusal).toMatchObject({ code: "KEY_QUOTA_EXCEEDED", envelope: { retriable: true, retry_after_ms: 1000, details: { tokens_in_flight: 4096, tasks_in_flight: 1 } } });
    // Small tasks share it: as many max_tokens=90 as fit under what is left.
    m.finished("key:q", 5, 3, "t0");
    let small = 0;
    for (let i = 0; i < 20; i++) {
      if (refusal(() => m.check("key:q")) !== null) break;
      m.admitted("key:q", { task_id: `s${i}`, accepted_at_ms: START, reserve_tokens: 90 });
      small++;
    }
    expect(small).toBe(12); // 8 used + 11 × 90 held = 998 < 1,000 admits a twelfth; 8 + 12 × 90 does not
    // Ending frees its hold even with no tokens counted (canceled while queued).
    for (let i = 0; i < small; i++) m.finished("key:q", 0, 0, `s${i}`);
    expect(m.heldBy("key:q")).toEqual({ tasks: 0, tokens: 0 });
    expect(refusal(() => m.check("key:q"))).toBeNull();
    // The operator's credentials hold nothing.
    m.admitted("builtin", { task_id: "b", accepted_at_ms: START, reserve_tokens: 1_000_000 });
    expect(m.heldBy("builtin")).toEqual({ tasks: 0, tokens: 0 });
    // A generation ceiling is shortened to the context.
    expect(quotaReservation(100_000, 2048)).toBe(2048);
    expect(quotaReservation(1, 2048)).toBe(1);
    m.close();
  });

  it("midnight with queued and running tasks: each day keeps what it counted; a task running across midnight counts its tokens on the day it ends; holds carry over", () => {
    const { m, clock, store } = meter({ q: { requests_per_minute: 100, tokens_per_day: 100 } });
    // 23:59:00 — three admitted: one ends before midnight, one runs across it, one is still queued.
    for (const id of ["a", "b", "c"]) {
      m.check("key:q");
      m.admitted("key:q", { task_id: id, accepted_at_ms: START, reserve_tokens: 20 });
    }
    m.finished("key:q", 10, 20, "a");
    expect(m.usedToday("key:q")).toEqual({ requests: 3, tokens_in: 10, tokens_out: 20 });
    clock.now += 59_999; // 23:59:59.999
    expect(refusal(() => m.check("key:q"))).toBeNull(); // 30 used + 40 held < 100
    clock.now += 1; // 00:00:00.000 — a new day
    expect(m.usedToday("key:q")).toEqual({ requests: 0, tokens_in: 0, tokens_out: 0 });
    m.finished("key:q", 5, 20, "b"); // ran across midnight: counted today
    // The queued one still holds its 20: 25 used + 20 held.
    expect(m.heldBy("key:q")).toEqual({ tasks: 1, tokens: 20 });
    m.admitted("key:q", { task_id: "d", accepted_at_ms: START, reserve_tokens: 55 });
    expect(refusal(() => m.check("key:q"))?.envelope.retriable).toBe(true); // 25 used + 75 held: wait for one to end
    m.finished("key:q", 0, 0, "c"); // canceled in the queue
    m.finished("key:q", 3, 54, "d");
    const refused = refusal(() => m.check("key:q")); // 82 used, nothing held: admitted
    expect(refused).toBeNull();
    m.finished("key:q", 0, 30, "e"); // an unknown id (never held) only counts
    expect(refusal(() => m.check("key:q"))).toMatchObject({ code: "KEY_QUOTA_EXCEEDED", envelope: { retriable: false, retry_after_ms: 86_400_000 } });
    m.close();
    expect(store.since("2026-11-30").map((r) => [r.day, r.requests, r.tokens_in, r.tokens_out])).toEqual([
      ["2026-12-01", 1, 8, 104],
      ["2026-11-30", 3, 10, 20],
    ]);
  });
});
