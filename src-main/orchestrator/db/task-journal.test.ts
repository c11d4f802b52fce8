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
    journal.finished({ task_id: r.id, state: r.state, started_at_ms: r.at, first_token_at_ms: null, finished_at_ms: r.at + 1, node_id: null, pool_id: null, tokens_in: 0, tokens_out: 0, error_code: r.state === "failed" ? "WORKER_RESET" : null, error_message: null, placement_json: null });
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
