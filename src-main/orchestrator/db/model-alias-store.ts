import { z } from "zod";
import type { Db } from "./database.js";

export interface StoredAlias {
  name: string;
  sha256: string;
  created_at_ms: number;
  updated_at_ms: number;
  updated_by: string;
}

const RowSchema = z.object({ name: z.string(), sha256: z.string(), created_at_ms: z.number(), updated_at_ms: z.number(), updated_by: z.string() });

/**
 * Operator-defined model aliases (model_aliases). Every request that names a model asks the table, so
 * it is held in memory and written through: a put or delete changes both, the database first.
 */
export class ModelAliasStore {
  private readonly putStmt;
  private readonly deleteStmt;
  private readonly byName: Map<string, StoredAlias>;
  private table: ReadonlyMap<string, string> | null = null;

  constructor(db: Db) {
    this.putStmt = db.prepare(`INSERT INTO model_aliases (name, sha256, created_at_ms, updated_at_ms, updated_by) VALUES (?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET sha256 = excluded.sha256, updated_at_ms = excluded.updated_at_ms, updated_by = excluded.updated_by`);
    this.deleteStmt = db.prepare(`DELETE FROM model_aliases WHERE name = ?`);
    const rows = db.prepare(`SELECT name, sha256, created_at_ms, updated_at_ms, updated_by FROM model_aliases ORDER BY name`).all();
    this.byName = new Map(rows.map((raw) => {
      const row = RowSchema.parse(raw);
      return [row.name, row];
    }));
  }

  get(name: string): StoredAlias | undefined {
    return this.byName.get(name);
  }

  list(): StoredAlias[] {
    return [...this.byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  size(): number {
    return this.byName.size;
  }

  /** name → sha256, the same object until the next change (callers cache on it). */
  nameTable(): ReadonlyMap<string, string> {
    this.table ??= new Map([...this.byName.values()].map((a) => [a.name, a.sha256]));
    return this.table;
  }

  /** Creates or repoints an alias; a repointed one keeps its created_at_ms. */
  put(name: string, sha256: string, by: string, now: number): StoredAlias {
    const created = this.byName.get(name)?.created_at_ms ?? now;
    this.putStmt.run(name, sha256, created, now, by);
    const stored = { name, sha256, created_at_ms: created, updated_at_ms: now, updated_by: by };
    this.byName.set(name, stored);
    this.table = null;
    return stored;
  }

  delete(name: string): boolean {
    const deleted = this.deleteStmt.run(name).changes > 0;
    this.byName.delete(name);
    this.table = null;
    return deleted;
  }
}
