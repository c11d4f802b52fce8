import type { Db } from "./database.js";
import { inTransaction } from "./transaction.js";

export interface AuditEntry {
  at_ms: number;
  /** `token:<fp6>`, `session:<fp6>`, `client:<address>` or `localhost`, never a raw secret. */
  identity: string;
  action: string;
  target: string;
  outcome: "success" | "denied" | "error";
  details?: Record<string, unknown>;
}

export interface AuditRetention {
  maxAgeMs: number;
  maxRows: number;
}

/** 90 days or 100,000 rows, whichever is less: the table cannot grow without bound. */
export const DEFAULT_AUDIT_RETENTION: AuditRetention = { maxAgeMs: 90 * 24 * 3600_000, maxRows: 100_000 };

// Client-chosen text (paths, names) is cut so one request cannot write a large row.
const MAX_FIELD_CHARS = 200;
const MAX_DETAILS_CHARS = 2000;

export function truncateField(text: string, max = MAX_FIELD_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

function detailsJson(details: Record<string, unknown> | undefined): string | null {
  if (details === undefined) return null;
  const json = JSON.stringify(details);
  return json.length <= MAX_DETAILS_CHARS ? json : JSON.stringify({ truncated: true, head: json.slice(0, MAX_DETAILS_CHARS) });
}

/** Security-relevant events (spec §9.7): auth failures (aggregated), node registration, drains, token changes. */
export class AuditLog {
  private readonly insert;
  private readonly updateStmt;

  constructor(
    private readonly db: Db,
    private readonly retention: AuditRetention = DEFAULT_AUDIT_RETENTION,
  ) {
    this.insert = db.prepare(`INSERT INTO audit_log (at_ms, identity, action, target, outcome, details_json) VALUES (?, ?, ?, ?, ?, ?)`);
    this.updateStmt = db.prepare(`UPDATE audit_log SET at_ms = ?, target = ?, details_json = ? WHERE id = ?`);
  }

  /** Appends a row; returns its id (an aggregate updates it later). */
  record(entry: AuditEntry): number {
    const result = this.insert.run(entry.at_ms, truncateField(entry.identity), entry.action, truncateField(entry.target), entry.outcome, detailsJson(entry.details));
    return Number(result.lastInsertRowid);
  }

  /** Rewrites an aggregate row (e.g. a failure count that grew). */
  update(id: number, atMs: number, target: string, details: Record<string, unknown>): void {
    this.updateStmt.run(atMs, truncateField(target), detailsJson(details), id);
  }

  /** Runs several writes as one commit: one WAL append instead of one per row. */
  batch(write: () => void): void {
    inTransaction(this.db, write);
  }

  /** Drops rows older than the retention age and all but the newest `maxRows`. */
  prune(now: number): void {
    this.db.prepare(`DELETE FROM audit_log WHERE at_ms < ?`).run(now - this.retention.maxAgeMs);
    this.db.prepare(`DELETE FROM audit_log WHERE id <= (SELECT MAX(id) FROM audit_log) - ?`).run(this.retention.maxRows);
  }

  count(): number {
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM audit_log`).get() as { n: number }).n;
  }

  recent(limit: number): AuditEntry[] {
    return this.db
      .prepare(`SELECT at_ms, identity, action, target, outcome, details_json FROM audit_log ORDER BY id DESC LIMIT ?`)
      .all(limit)
      .map((raw) => {
        const r = raw as { at_ms: number; identity: string; action: string; target: string; outcome: AuditEntry["outcome"]; details_json: string | null };
        return { at_ms: r.at_ms, identity: r.identity, action: r.action, target: r.target, outcome: r.outcome, ...(r.details_json ? { details: JSON.parse(r.details_json) as Record<string, unknown> } : {}) };
      });
  }
}
