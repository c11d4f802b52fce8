import { z } from "zod";
import type { SessionPersistence } from "../auth/dashboard-sessions.js";
import type { Db } from "./database.js";

const SessionRowSchema = z.object({ digest_hex: z.string(), expires_at_ms: z.number() });

/** Dashboard sessions in the database, so a logged-in browser survives an orchestrator restart. */
export class DashboardSessionStore implements SessionPersistence {
  constructor(private readonly db: Db) {}

  load(): Array<{ digest_hex: string; expires_at_ms: number }> {
    this.db.prepare(`DELETE FROM dashboard_sessions WHERE expires_at_ms < ?`).run(Date.now());
    return this.db.prepare(`SELECT digest_hex, expires_at_ms FROM dashboard_sessions`).all().map((r) => SessionRowSchema.parse(r));
  }

  save(digestHex: string, expiresAtMs: number): void {
    this.db.prepare(`INSERT OR REPLACE INTO dashboard_sessions (digest_hex, expires_at_ms) VALUES (?, ?)`).run(digestHex, expiresAtMs);
  }

  delete(digestHex: string): void {
    this.db.prepare(`DELETE FROM dashboard_sessions WHERE digest_hex = ?`).run(digestHex);
  }
}
