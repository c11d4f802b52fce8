import type { Logger } from "pino";
import { describe, expect, it } from "vitest";
import { tempDatabases } from "../../../test-support/temp-database.js";
import { TaskJournal } from "../db/task-journal.js";
import { applyJournalRetention } from "./journal-retention.js";

// Without retention the task journal grew with every task forever, each row holding its whole request.

const openDb = tempDatabases("llorch-journal-retention-");

function journalWith(rows: { id: string; at: number }[]): TaskJournal {
  const journal = new TaskJournal(openDb());
  for (const r of rows) {
    journal.accepted({ task_id: r.id, session_id: r.id, api: "v2", model_sha256: "sha", priority: "interactive", accepted_at_ms: r.at, request_json: "{}", idempotency_key: null });
    journal.finished({ task_id: r.id, state: "completed", started_at_ms: r.at, first_token_at_ms: null, finished_at_ms: r.at + 1, node_id: null, pool_id: null, tokens_in: 0, tokens_out: 0, error_code: null, error_message: null, placement_json: null, stop_reason: null, attempts: 0, rescues: 0 });
  }
  return journal;
}

describe("task journal retention", () => {
  const DAY = 86_400_000;
  const NOW = 100 * DAY;

  it("deletes finished tasks accepted before the retention, in batches; unfinished and recent ones stay; 0 keeps everything", () => {
    const old = Array.from({ length: 12_000 }, (_, i) => ({ id: `old-${i}`, at: NOW - 40 * DAY + i }));
    const journal = journalWith([...old, { id: "recent", at: NOW - 2 * DAY }]);
    // Accepted 40 days ago, ended yesterday (a long task, or one a restart's recovery ended): kept.
    journal.accepted({ task_id: "ended-lately", session_id: "s", api: "v2", model_sha256: "sha", priority: "interactive", accepted_at_ms: NOW - 40 * DAY, request_json: "{}", idempotency_key: null });
    journal.finished({ task_id: "ended-lately", state: "failed", started_at_ms: null, first_token_at_ms: null, finished_at_ms: NOW - DAY, node_id: null, pool_id: null, tokens_in: 0, tokens_out: 0, error_code: "WORKER_RESET", error_message: null, placement_json: null, stop_reason: null, attempts: 0, rescues: 0 });
    // Queued 40 days ago and never finished (a crash's survivor): kept whatever its age.
    journal.accepted({ task_id: "unfinished", session_id: "s", api: "v2", model_sha256: "sha", priority: "interactive", accepted_at_ms: NOW - 40 * DAY, request_json: "{}", idempotency_key: null });
    const logs: unknown[] = [];
    const logger = { info: (o: unknown) => logs.push(o), warn: (o: unknown) => logs.push(o) } as unknown as Logger;
    expect(applyJournalRetention(journal, 0, NOW, logger)).toBe(0);
    expect(journal.has("old-0")).toBe(true);
    // 12,000 rows in batches of 5,000: one run, three DELETEs.
    expect(applyJournalRetention(journal, 30, NOW, logger)).toBe(12_000);
    expect(journal.has("old-11999")).toBe(false);
    expect(journal.has("recent")).toBe(true);
    expect(journal.has("ended-lately")).toBe(true);
    expect(journal.get("unfinished")?.state).toBe("queued");
    expect(logs).toEqual([{ tasks: 12_000, retention_days: 30 }]);
    expect(applyJournalRetention(journal, 30, NOW, logger)).toBe(0);
  });
});
