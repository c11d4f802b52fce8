import { randomBytes, randomUUID } from "node:crypto";
import { z } from "zod";
import { KeyLimitsSchema, NO_KEY_LIMITS, type KeyLimits } from "../../../src-shared/auth/key-limits.js";
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
  limits: KeyLimitsSchema,
});
export type ApiKeyRow = z.infer<typeof ApiKeyRowSchema>;

function parseRow(raw: unknown): ApiKeyRow {
  const r = raw as Record<string, unknown>;
  const limits = typeof r["limits_json"] === "string" ? (JSON.parse(r["limits_json"]) as unknown) : NO_KEY_LIMITS;
  return ApiKeyRowSchema.parse({ ...r, scopes: JSON.parse(String(r["scopes_json"])) as unknown, limits });
}

/** API keys created at run time (dashboard Settings): stored as SHA-256 digests with their scopes, shown once. */
export class ApiKeyStore {
  /**
   * Key id → the node it is bound to (null: none), for keys looked up once. A key's node binding is
   * set when it is created and never changes, and rows are never deleted (revocation only stamps
   * revoked_at_ms, and a revoked key no longer authenticates), so an entry never goes stale. Every
   * heartbeat of a joined worker asks (the binding check): a SELECT and a row parse each time was the
   * largest cost of a heartbeat authenticated with a node key (docs/PERFORMANCE.md, sixth pass).
   */
  private readonly bindings = new Map<string, string | null>();
  /** Key id → its limits, for keys looked up once: every admission of a key asks; setLimits keeps it current. */
  private readonly limitsById = new Map<string, KeyLimits>();

  constructor(private readonly db: Db) {}

  /** `key`: one the caller made (a joining agent's own, JoinNodeRequest.key); default a fresh random one. */
  create(name: string, scopes: readonly Scope[], createdBy: string, nodeId: string | null = null, key = `llo_${randomBytes(32).toString("hex")}`, limits: KeyLimits = NO_KEY_LIMITS): { row: ApiKeyRow; key: string } {
    const row: ApiKeyRow = { id: randomUUID(), name, digest_hex: tokenDigest(key).toString("hex"), fp6: fp6(key), created_at_ms: Date.now(), revoked_at_ms: null, scopes: [...scopes], created_by: createdBy, node_id: nodeId, limits };
    this.db
      .prepare(`INSERT INTO api_keys (id, name, digest_hex, fp6, created_at_ms, revoked_at_ms, scopes_json, created_by, node_id, limits_json) VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?, ?)`)
      .run(row.id, row.name, row.digest_hex, row.fp6, row.created_at_ms, JSON.stringify(row.scopes), createdBy, nodeId, JSON.stringify(limits));
    this.bindings.set(row.id, nodeId);
    this.limitsById.set(row.id, limits);
    return { row, key };
  }

  /** The key's limits (none for an unknown id: it cannot authenticate anyway). */
  limitsOf(id: string): KeyLimits {
    const known = this.limitsById.get(id);
    if (known !== undefined) return known;
    const row = this.get(id);
    if (row === null) return NO_KEY_LIMITS;
    this.limitsById.set(id, row.limits);
    return row.limits;
  }

  /** Replaces a key's limits; null when there is no such key. */
  setLimits(id: string, limits: KeyLimits): ApiKeyRow | null {
    const row = this.get(id);
    if (row === null) return null;
    this.db.prepare(`UPDATE api_keys SET limits_json = ? WHERE id = ?`).run(JSON.stringify(limits), id);
    this.limitsById.set(id, limits);
    return { ...row, limits };
  }

  /** The node id the key is bound to (a key from a join token), null when none or when there is no such key. */
  boundNodeOf(id: string): string | null {
    const known = this.bindings.get(id);
    if (known !== undefined) return known;
    const row = this.get(id);
    // Only keys that exist are remembered: an unknown id stays a lookup (it cannot authenticate anyway).
    if (row !== null) this.bindings.set(id, row.node_id);
    return row?.node_id ?? null;
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

  /** Whether some key (live or revoked) already has this secret: a proposed key must be new. */
  hasKey(key: string): boolean {
    return this.db.prepare(`SELECT 1 FROM api_keys WHERE digest_hex = ?`).get(tokenDigest(key).toString("hex")) !== undefined;
  }

  get(id: string): ApiKeyRow | null {
    const raw = this.db.prepare(`SELECT * FROM api_keys WHERE id = ?`).get(id);
    return raw === undefined ? null : parseRow(raw);
  }

  list(): ApiKeyRow[] {
    return this.db.prepare(`SELECT * FROM api_keys ORDER BY created_at_ms`).all().map(parseRow);
  }
}
