import { z } from "zod";
import { CatalogEntrySchema, type CatalogEntry } from "../../../src-shared/catalog/catalog-model.js";
import type { Db } from "./database.js";

const RecordRowSchema = z.object({ record_json: z.string() });

/** Catalog records added by operators (POST /v2/catalog/models); discovered models need no record. */
export class CatalogStore {
  private readonly putStmt;
  private readonly getStmt;
  private readonly listStmt;
  private readonly deleteStmt;
  /** Admission asks on every request; the set changes only with put/delete. */
  private retired: Set<string> | null = null;

  constructor(db: Db) {
    this.putStmt = db.prepare(`INSERT INTO catalog_models (id, sha256, record_json, created_at_ms) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET sha256 = excluded.sha256, record_json = excluded.record_json`);
    this.getStmt = db.prepare(`SELECT record_json FROM catalog_models WHERE id = ?`);
    this.listStmt = db.prepare(`SELECT record_json FROM catalog_models ORDER BY id`);
    this.deleteStmt = db.prepare(`DELETE FROM catalog_models WHERE id = ?`);
  }

  put(entry: CatalogEntry): void {
    this.putStmt.run(entry.id, entry.digest?.algo === "sha256" ? entry.digest.value : null, JSON.stringify(entry), Date.now());
    this.retired = null;
  }

  get(id: string): CatalogEntry | null {
    const row = this.getStmt.get(id);
    return row === undefined ? null : CatalogEntrySchema.parse(JSON.parse(RecordRowSchema.parse(row).record_json));
  }

  list(): CatalogEntry[] {
    return this.listStmt.all().map((row) => CatalogEntrySchema.parse(JSON.parse(RecordRowSchema.parse(row).record_json)));
  }

  delete(id: string): boolean {
    const deleted = this.deleteStmt.run(id).changes > 0;
    this.retired = null;
    return deleted;
  }

  /** sha256 digests of models retired by an operator: admission refuses them. */
  retiredShas(): ReadonlySet<string> {
    this.retired ??= new Set(this.list().filter((e) => e.lifecycle === "Retired" && e.digest?.algo === "sha256").map((e) => e.digest?.value as string));
    return this.retired;
  }
}
