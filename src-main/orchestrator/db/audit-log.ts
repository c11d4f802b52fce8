import type { Db } from "./database.js";

export interface AuditEntry {
  at_ms: number;
  /** `token:<fp6>`, `session:<fp6>` or `localhost`, never a raw secret. */
  identity: string;
  action: string;
  target: string;
  outcome: "success" | "denied" | "error";
  details?: Record<string, unknown>;
}

/** Security-relevant events (spec §9.7): auth failures, node registration, drains, token changes. */
export class AuditLog {
  private readonly insert;

  constructor(private readonly db: Db) {
    this.insert = db.prepare(`INSERT INTO audit_log (at_ms, identity, action, target, outcome, details_json) VALUES (?, ?, ?, ?, ?, ?)`);
  }

  record(entry: AuditEntry): void {
    this.insert.run(entry.at_ms, entry.identity, entry.action, entry.target, entry.outcome, entry.details ? JSON.stringify(entry.details) : null);
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
