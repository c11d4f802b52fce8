import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { openDatabase } from "./db/database.js";
import { TaskJournal } from "./db/task-journal.js";

// The task journal's retention, through a real orchestrator started on a journal holding old tasks.
const DAY = 86_400_000;
const dir = mkdtempSync(join(tmpdir(), "llorch-journal-retention-"));
let orch: TestOrchestrator | undefined;

afterAll(async () => {
  await orch?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("task journal retention", () => {
  it("a finished task accepted longer ago than task_journal_retention_days is gone at start (404); a recent one, and an old one the restart's recovery just ended, stay", async () => {
    const db = openDatabase(join(dir, "orchestrator.db"));
    const journal = new TaskJournal(db);
    const now = Date.now();
    for (const [id, at, finished] of [["old", now - 8 * DAY, true], ["recent", now - DAY, true], ["old-queued", now - 8 * DAY, false]] as const) {
      journal.accepted({ task_id: id, session_id: id, api: "v2", model_sha256: "a".repeat(64), priority: "interactive", accepted_at_ms: at, request_json: null as unknown as string, idempotency_key: null });
      if (finished) journal.finished({ task_id: id, state: "completed", started_at_ms: at, first_token_at_ms: at, finished_at_ms: at + 1000, node_id: null, pool_id: null, tokens_in: 3, tokens_out: 5, error_code: null, error_message: null, placement_json: null, stop_reason: null, attempts: 0, rescues: 0 });
    }
    db.close();
    orch = await startTestOrchestrator({ task_journal_retention_days: 7 }, dir);
    expect((await orch.api("/v2/tasks/old")).status).toBe(404);
    expect((await orch.api("/v2/tasks/recent")).status).toBe(200);
    // Left unfinished by a crash 8 days ago: the restart's recovery ends it now, so it is kept another 7 days.
    expect((await orch.api("/v2/tasks/old-queued")).status).toBe(200);
  });
});
