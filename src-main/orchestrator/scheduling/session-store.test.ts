import { describe, expect, it } from "vitest";
import { SessionStore } from "./session-store.js";

describe("SessionStore memory", () => {
  it("drops sessions that expired without being used again when later sessions start", () => {
    let now = 0;
    const store = new SessionStore({ ttlMs: 1000, maxTurns: 100, tokenBudget: 0 }, () => now);
    for (let i = 0; i < 5000; i++) {
      store.noteTurn("k", `s${i}`);
      store.noteCompletion("k", `s${i}`, { node_id: "n", pool_id: "p" }, 1, 1);
      now += 1;
    }
    // Only the sessions used within the last TTL remain.
    expect(store.size).toBeLessThanOrEqual(1001);
    expect(store.info("k", "s0")).toBeNull();
    expect(store.info("k", "s4999")).not.toBeNull();
  });

  it("keeps a session that is used again, whatever its age, while it stays within its TTL", () => {
    let now = 0;
    const store = new SessionStore({ ttlMs: 1000, maxTurns: 100, tokenBudget: 0 }, () => now);
    store.noteTurn("k", "old");
    for (let i = 0; i < 3000; i++) {
      now += 1;
      store.noteTurn("k", `s${i}`);
      if (i % 500 === 0) store.noteTurn("k", "old");
    }
    expect(store.info("k", "old")?.turns).toBe(7);
  });
});

describe("SessionStore owners", () => {
  it("keeps two credentials' sessions of the same id apart: turns, budget, affinity, lookup and eviction", () => {
    const store = new SessionStore({ ttlMs: 60_000, maxTurns: 2, tokenBudget: 10 });
    store.noteTurn("alice", "chat");
    store.noteTurn("alice", "chat");
    store.noteCompletion("alice", "chat", { node_id: "n1", pool_id: "p1" }, 8, 1);
    // Alice's session is spent; Bob's of the same name is new.
    expect(store.checkAdmission("alice", "chat", 1)).toMatchObject({ ok: false });
    expect(store.checkAdmission("bob", "chat", 10)).toEqual({ ok: true });
    expect(store.affinity("bob", "chat")).toBeUndefined();
    expect(store.affinity("alice", "chat")).toBe("p1");
    expect(store.budgetHeaders("bob", "chat")["X-Budget-Tokens-Remaining"]).toBe("10");
    expect(store.info("bob", "chat")).toBeNull();
    expect(store.delete("bob", "chat")).toBe(false);
    // An operator's lookup finds it; an owner's own session of that id comes first.
    expect(store.info("admin", "chat", true)).toMatchObject({ turns: 2, pool_id: "p1" });
    store.noteTurn("bob", "chat");
    expect(store.info("bob", "chat", true)).toMatchObject({ turns: 1 });
    expect(store.delete("bob", "chat")).toBe(true);
    expect(store.info("alice", "chat")).toMatchObject({ turns: 2 });
    expect(store.delete("admin", "chat", true)).toBe(true);
    expect(store.info("alice", "chat")).toBeNull();
  });
});
