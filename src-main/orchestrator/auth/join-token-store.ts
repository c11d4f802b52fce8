import { randomBytes, randomUUID } from "node:crypto";
import { JOIN_TOKEN_PREFIX } from "../../../src-shared/auth/join-tokens.js";
import type { Db } from "../db/database.js";
import { inTransaction } from "../db/transaction.js";
import { fp6, tokenDigest } from "./bearer.js";

export interface JoinTokenRow {
  id: string;
  fp6: string;
  node_id: string | null;
  created_at_ms: number;
  expires_at_ms: number;
  created_by: string;
  used_at_ms: number | null;
  used_for_node_id: string | null;
  key_id: string | null;
}

/** Why a presented join token is refused (the error's `details.reason`). */
export type JoinRefusal = "join_token_unknown" | "join_token_used" | "join_token_expired";

export type JoinLookup = { ok: true; row: JoinTokenRow } | { ok: false; reason: JoinRefusal; row?: JoinTokenRow };

/**
 * Single-use, short-lived join tokens (docs/SECURITY.md "Joining a worker"). Only SHA-256 digests are
 * stored; a token is looked up by its digest (a unique index, so no timing depends on its content)
 * and consumed with a conditional UPDATE, so two concurrent joins cannot both spend it.
 */
export class JoinTokenStore {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  create(nodeId: string | null, ttlMs: number, createdBy: string): { row: JoinTokenRow; token: string } {
    const token = `${JOIN_TOKEN_PREFIX}${randomBytes(32).toString("hex")}`;
    const at = this.now();
    const row: JoinTokenRow = { id: randomUUID(), fp6: fp6(token), node_id: nodeId, created_at_ms: at, expires_at_ms: at + ttlMs, created_by: createdBy, used_at_ms: null, used_for_node_id: null, key_id: null };
    this.db
      .prepare(`INSERT INTO join_tokens (id, digest_hex, fp6, node_id, created_at_ms, expires_at_ms, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)`)
      .run(row.id, tokenDigest(token).toString("hex"), row.fp6, nodeId, at, row.expires_at_ms, createdBy);
    return { row, token };
  }

  /** The token's row if it may still be spent, else why not. Does not spend it. */
  lookup(token: string): JoinLookup {
    const raw = this.db.prepare(`SELECT * FROM join_tokens WHERE digest_hex = ?`).get(tokenDigest(token).toString("hex")) as JoinTokenRow | undefined;
    if (raw === undefined) return { ok: false, reason: "join_token_unknown" };
    if (raw.used_at_ms !== null) return { ok: false, reason: "join_token_used", row: raw };
    if (raw.expires_at_ms <= this.now()) return { ok: false, reason: "join_token_expired", row: raw };
    return { ok: true, row: raw };
  }

  get(id: string): JoinTokenRow | null {
    const raw = this.db.prepare(`SELECT * FROM join_tokens WHERE id = ?`).get(id) as JoinTokenRow | undefined;
    return raw ?? null;
  }

  /** Why a known token can no longer be spent (after a lost race in `consume`). */
  refusalOf(row: JoinTokenRow): JoinRefusal {
    return row.used_at_ms !== null ? "join_token_used" : row.expires_at_ms <= this.now() ? "join_token_expired" : "join_token_unknown";
  }

  setKeyId(id: string, keyId: string): void {
    this.db.prepare(`UPDATE join_tokens SET key_id = ? WHERE id = ?`).run(keyId, id);
  }

  /** Spends the token for `nodeId`; false when another request spent it first or it expired meanwhile. */
  consume(id: string, nodeId: string): boolean {
    const at = this.now();
    const result = this.db
      .prepare(`UPDATE join_tokens SET used_at_ms = ?, used_for_node_id = ? WHERE id = ? AND used_at_ms IS NULL AND expires_at_ms > ?`)
      .run(at, nodeId, id, at);
    return result.changes === 1;
  }

  /**
   * Spends the token for `nodeId` and records the key `issue` makes for it, in one transaction: a crash
   * (SIGKILL) or a failed write (full disk) between the two left the token spent with no key, so the
   * agent whose answer was lost could neither join again nor authenticate. Null when another request
   * spent the token first or it expired meanwhile (nothing issued).
   */
  spend<T extends { row: { id: string } }>(id: string, nodeId: string, issue: () => T): T | null {
    return inTransaction(this.db, () => {
      if (!this.consume(id, nodeId)) return null;
      const issued = issue();
      this.setKeyId(id, issued.row.id);
      return issued;
    });
  }

  /** Tokens that may still be spent, newest first. */
  unspent(): JoinTokenRow[] {
    return this.db.prepare(`SELECT * FROM join_tokens WHERE used_at_ms IS NULL AND expires_at_ms > ? ORDER BY created_at_ms DESC, rowid DESC`).all(this.now()) as JoinTokenRow[];
  }

  /**
   * Revokes an unspent token by deleting it (a revoked token is then unknown, like one never minted).
   * A spent token is kept as the record of its join: "spent"; an unknown id: "unknown".
   */
  revoke(id: string): { ok: true; row: JoinTokenRow } | { ok: false; reason: "unknown" | "spent" } {
    const row = this.get(id);
    if (row === null) return { ok: false, reason: "unknown" };
    if (row.used_at_ms !== null) return { ok: false, reason: "spent" };
    // Conditional, so a join racing the revocation either spends it first (then this is "spent") or finds nothing.
    const changes = this.db.prepare(`DELETE FROM join_tokens WHERE id = ? AND used_at_ms IS NULL`).run(id).changes;
    return changes === 1 ? { ok: true, row } : { ok: false, reason: "spent" };
  }

  /** Drops tokens that expired (or were spent) more than a day ago. */
  prune(): number {
    const cutoff = this.now() - 24 * 60 * 60_000;
    return this.db.prepare(`DELETE FROM join_tokens WHERE expires_at_ms < ?`).run(cutoff).changes;
  }
}
