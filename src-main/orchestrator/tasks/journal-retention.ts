import type { Logger } from "pino";
import type { TaskJournal } from "../db/task-journal.js";

const DAY_MS = 86_400_000;
/** Rows per DELETE: one batch holds the database for milliseconds, not for a whole backlog. */
const BATCH_ROWS = 5000;
/** At most this many batches per run: a large backlog (a first run on an old journal) drains over several runs. */
const MAX_BATCHES = 20;
/** How often the journal's retention runs. */
export const JOURNAL_RETENTION_EVERY_MS = 60_000;

/**
 * Deletes finished tasks accepted more than `retentionDays` ago (0: none), in batches; unfinished ones
 * stay. Without it the journal grew with every task forever, each row holding its whole request.
 * Returns how many went; a failed delete (a full disk) is logged and tried again at the next run.
 */
export function applyJournalRetention(journal: TaskJournal, retentionDays: number, nowMs: number, logger: Logger): number {
  if (retentionDays <= 0) return 0;
  let deleted = 0;
  try {
    for (let batch = 0; batch < MAX_BATCHES; batch++) {
      const n = journal.pruneFinished(nowMs - retentionDays * DAY_MS, BATCH_ROWS);
      deleted += n;
      if (n < BATCH_ROWS) break;
    }
  } catch (err) {
    logger.warn({ err, deleted }, "task journal retention: delete failed; trying again in a minute");
  }
  if (deleted > 0) logger.info({ tasks: deleted, retention_days: retentionDays }, "finished tasks past the task journal's retention deleted");
  return deleted;
}
