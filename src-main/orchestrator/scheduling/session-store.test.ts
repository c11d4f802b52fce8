import { describe, expect, it } from "vitest";
import { SessionStore } from "./session-store.js";

describe("SessionStore memory", () => {
  it("drops sessions that expired without being used again when later sessions start", () => {
    let now = 0;
    const store = new SessionStore({ ttlMs: 1000, maxTurns: 100, tokenBudget: 0 }, () => now);
    for (let i = 0; i < 5000; i++) {
      store.noteTurn(`s${i}`);
      store.noteCompletion(`s${i}`, { node_id: "n", pool_id: "p" }, 1, 1);
      now += 1;
    }
    // Only the sessions used within the last TTL remain.
    expect(store.size).toBeLessThanOrEqual(1001);
    expect(store.info("s0")).toBeNull();
    expect(store.info("s4999")).not.toBeNull();
  });

  it("keeps a session that is used again, whatever its age, while it stays within its TTL", () => {
    let now = 0;
    const store = new SessionStore({ ttlMs: 1000, maxTurns: 100, tokenBudget: 0 }, () => now);
    store.noteTurn("old");
    for (let i = 0; i < 3000; i++) {
      now += 1;
      store.noteTurn(`s${i}`);
      if (i % 500 === 0) store.noteTurn("old");
    }
    expect(store.info("old")?.turns).toBe(7);
  });
});
