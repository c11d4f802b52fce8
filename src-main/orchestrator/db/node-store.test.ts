// The node event history is bounded: a `worker` key cycling register/deregister (two events a cycle,
// ~160 cycles a second from one client against a real orchestrator) grew node_events without end.
import { describe, expect, it } from "vitest";
import { tempDatabases } from "../../../test-support/temp-database.js";
import { NodeStore } from "./node-store.js";

const openDb = tempDatabases("llorch-node-store-");

describe("node events", () => {
  it("keep the newest rows only, however many are written", () => {
    const db = openDb();
    const store = new NodeStore(db, undefined, 50);
    for (let i = 0; i < 5000; i++) store.appendEvent(`churn-${i % 7}`, { at_ms: i, kind: "registered", message: `event ${i}` });
    const rows = (db.prepare(`SELECT COUNT(*) AS n FROM node_events`).get() as { n: number }).n;
    // At most the limit plus the writes since the last prune (one per 1,000 appends).
    expect(rows).toBeLessThanOrEqual(50 + 1000);
    // The newest survive: the last node still shows its latest history.
    expect(store.events("churn-2", 3).map((e) => e.message)).toEqual(["event 4979", "event 4986", "event 4993"]);
    // Opening the store again (a restart) trims to the limit at once.
    new NodeStore(db, undefined, 50);
    expect((db.prepare(`SELECT COUNT(*) AS n FROM node_events`).get() as { n: number }).n).toBe(50);
  });
});
