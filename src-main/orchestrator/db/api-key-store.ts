import { randomBytes, randomUUID } from "node:crypto";
import { z } from "zod";
import { ScopeListSchema, type Scope } from "../../../src-shared/auth/scopes.js";
import { fp6, tokenDigest } from "../auth/bearer.js";
import type { Db } from "./database.js";

const ApiKeyRowSchema = z.object({
  id: z.string(),
  name: z.string(),
  digest_hex: z.string(),
  fp6: z.string(),
  created_at_ms: z.number(),
  revoked_at_ms: z.number().nullable(),
  scopes: ScopeListSchema,
  /** The credential id of whoever created the key (audit); null for keys older than scopes. */
  created_by: z.string().nullable(),
  /** A key from a join token is bound to one node id: it may register, heartbeat and deregister that node only. */
  node_id: z.string().nullable().default(null),
});
export type ApiKeyRow = z.infer<typeof ApiKeyRowSchema>;

function parseRow(raw: unknown): ApiKeyRow {
  const r = raw as Record<string, unknown>;
  return ApiKeyRowSchema.parse({ ...r, scopes: JSON.parse(String(r["scopes_json"])) as unknown });
}

/** API keys created at run time (dashboard Settings): stored as SHA-256 digests with their scopes, shown once. */
export class ApiKeyStore {
  constructor(private readonly db: Db) {}

  create(name: string, scopes: readonly Scope[], createdBy: string, nodeId: string | null = null): { row: ApiKeyRow; key: string } {
    const key = `llo_${randomBytes(32).toString("hex")}`;
    const row: ApiKeyRow = { id: randomUUID(), name, digest_hex: tokenDigest(key).toString("hex"), fp6: fp6(key), created_at_ms: Date.now(), revoked_at_ms: null, scopes: [...scopes], created_by: createdBy, node_id: nodeId };
    this.db
      .prepare(`INSERT INTO api_keys (id, name, digest_hex, fp6, created_at_ms, revoked_at_ms, scopes_json, created_by, node_id) VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?)`)
      .run(row.id, row.name, row.digest_hex, row.fp6, row.created_at_ms, JSON.stringify(row.scopes), createdBy, nodeId);
    return { row, key };
  }

  /** The unrevoked keys bound to a node id (from join tokens). */
  boundTo(nodeId: string): ApiKeyRow[] {
    return this.db.prepare(`SELECT * FROM api_keys WHERE node_id = ? AND revoked_at_ms IS NULL`).all(nodeId).map(parseRow);
  }

  revoke(id: string): ApiKeyRow | null {
    const row = this.get(id);
    if (row === null || row.revoked_at_ms !== null) return row;
    const now = Date.now();
    this.db.prepare(`UPDATE api_keys SET revoked_at_ms = ? WHERE id = ?`).run(now, id);
    return { ...row, revoked_at_ms: now };
  }

  get(id: string): ApiKeyRow | null {
    const raw = this.db.prepare(`SELECT * FROM api_keys WHERE id = ?`).get(id);
    return raw === undefined ? null : parseRow(raw);
  }

  list(): ApiKeyRow[] {
    return this.db.prepare(`SELECT * FROM api_keys ORDER BY created_at_ms`).all().map(parseRow);
  }
}
