import { describe, expect, it } from "vitest";
import { tempDatabases } from "../../../test-support/temp-database.js";
import { TaskJournal } from "./task-journal.js";

// The journal's part of the queue board (GET /v2/tasks): newest first, filtered by state and by the
// owner kept in the stored request, without the tasks the caller has in memory, and never further
// back than its window (a filter that matches little must not scan the whole journal).

const openDb = tempDatabases("llorch-journal-");

function journalWith(rows: { id: string; at: number; owner?: string; state: "completed" | "failed" }[]): TaskJournal {
  const journal = new TaskJournal(openDb());
  for (const r of rows) {
    const request = JSON.stringify(r.owner === undefined ? { v: 1 } : { v: 1, owner: r.owner });
    journal.accepted({ task_id: r.id, session_id: r.id, api: "v2", model_sha256: "sha", priority: "interactive", accepted_at_ms: r.at, request_json: request, idempotency_key: null });
    journal.finished({ task_id: r.id, state: r.state, started_at_ms: r.at, first_token_at_ms: null, finished_at_ms: r.at + 1, node_id: null, pool_id: null, tokens_in: 0, tokens_out: 0, error_code: r.state === "failed" ? "WORKER_RESET" : null, error_message: null, placement_json: null, stop_reason: null, attempts: 0, rescues: 0 });
  }
  return journal;
}

const ids = (rows: { task_id: string }[]) => rows.map((r) => r.task_id);

describe("TaskJournal.recent", () => {
  const rows = [
    { id: "a", at: 1, owner: "key:alice", state: "failed" as const },
    { id: "b", at: 2, owner: "key:bob", state: "completed" as const },
    { id: "c", at: 3, owner: "key:alice", state: "completed" as const },
    { id: "d", at: 4, state: "completed" as const },
    { id: "e", at: 5, owner: "key:alice", state: "completed" as const },
  ];

  it("lists newest first, filtered by state and owner, without the excepted ids, up to the limit", () => {
    const journal = journalWith(rows);
    expect(ids(journal.recent(10))).toEqual(["e", "d", "c", "b", "a"]);
    expect(ids(journal.recent(2))).toEqual(["e", "d"]);
    expect(ids(journal.recent(10, { state: "failed" }))).toEqual(["a"]);
    expect(ids(journal.recent(10, { owner: "key:alice" }))).toEqual(["e", "c", "a"]);
    // A row written before owners existed belongs to nobody's own list.
    expect(ids(journal.recent(10, { owner: "key:bob" }))).toEqual(["b"]);
    expect(ids(journal.recent(2, { except: new Set(["e", "c"]) }))).toEqual(["d", "b"]);
  });

  it("looks only at the newest `window` rows", () => {
    const journal = journalWith(rows);
    expect(ids(journal.recent(10, {}, 3))).toEqual(["e", "d", "c"]);
    expect(ids(journal.recent(10, { state: "failed" }, 4))).toEqual([]);
    expect(ids(journal.recent(10, { state: "failed" }, 5))).toEqual(["a"]);
  });
});

describe("TaskJournal.endedSince (the key-usage recovery after a crash)", () => {
  it("finds ended tasks admitted from one bound or ended from the other, each once, with the owner and tokens; unfinished ones never", () => {
    const db = openDb();
    const journal = new TaskJournal(db);
    const accept = (id: string, at: number, owner?: string) =>
      journal.accepted({ task_id: id, session_id: id, api: "v2", model_sha256: "sha", priority: "interactive", accepted_at_ms: at, request_json: JSON.stringify(owner === undefined ? { v: 1 } : { v: 1, owner }), idempotency_key: null });
    const finish = (id: string, at: number, tokensIn: number, tokensOut: number) =>
      journal.finished({ task_id: id, state: "completed", started_at_ms: at, first_token_at_ms: null, finished_at_ms: at, node_id: null, pool_id: null, tokens_in: tokensIn, tokens_out: tokensOut, error_code: null, error_message: null, placement_json: null, stop_reason: null, attempts: 0, rescues: 0 });
    accept("old", 10, "key:a");
    finish("old", 20, 1, 1); // before both bounds
    accept("long", 15, "key:b");
    finish("long", 120, 4, 5); // admitted long before, ended after the end bound
    accept("late", 110, "key:a");
    finish("late", 115, 2, 3); // admitted after the admission bound, ended before the end bound
    accept("both", 130);
    finish("both", 140, 0, 0); // both bounds; no owner in its stored request
    accept("running", 150, "key:a"); // never ended: not the recovery's "ended" (it has its own path)
    const rows = journal.endedSince(100, 118);
    expect(rows.map((r) => r.task_id).sort()).toEqual(["both", "late", "long"]);
    expect(rows.find((r) => r.task_id === "long")).toEqual({ task_id: "long", owner: "key:b", accepted_at_ms: 15, finished_at_ms: 120, tokens_in: 4, tokens_out: 5 });
    expect(rows.find((r) => r.task_id === "both")?.owner).toBeNull();
    expect(journal.endedSince(null, 118).map((r) => r.task_id).sort()).toEqual(["both", "long"]);
    // Both lookups go through an index: the rows of the last seconds cost what they are, not the journal's size.
    const plans = [`SELECT 1 FROM tasks WHERE accepted_at_ms >= 100 AND finished_at_ms IS NOT NULL`, `SELECT 1 FROM tasks WHERE finished_at_ms >= 118`, `SELECT 1 FROM tasks WHERE finished_at_ms IS NULL`].map((q) =>
      (db.prepare(`EXPLAIN QUERY PLAN ${q}`).all() as { detail: string }[]).map((r) => r.detail).join("; "),
    );
    for (const plan of plans) expect(plan).toMatch(/USING (COVERING )?INDEX tasks_by_(accept|finish)/);
  });
});
