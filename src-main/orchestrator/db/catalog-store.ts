import { z } from "zod";
import { CatalogEntrySchema, type CatalogEntry } from "../../../src-shared/catalog/catalog-model.js";
import type { Db } from "./database.js";

/** Catalog records added by operators (POST /v2/catalog/models); discovered models need no record. */
export class CatalogStore {
  constructor(private readonly db: Db) {}

  put(entry: CatalogEntry): void {
    this.db
      .prepare(`INSERT INTO catalog_models (id, sha256, record_json, created_at_ms) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET sha256 = excluded.sha256, record_json = excluded.record_json`)
      .run(entry.id, entry.digest?.algo === "sha256" ? entry.digest.value : null, JSON.stringify(entry), Date.now());
  }

  get(id: string): CatalogEntry | null {
    const row = this.db.prepare(`SELECT record_json FROM catalog_models WHERE id = ?`).get(id);
    return row === undefined ? null : CatalogEntrySchema.parse(JSON.parse(z.object({ record_json: z.string() }).parse(row).record_json));
  }

  list(): CatalogEntry[] {
    return this.db
      .prepare(`SELECT record_json FROM catalog_models ORDER BY id`)
      .all()
      .map((row) => CatalogEntrySchema.parse(JSON.parse(z.object({ record_json: z.string() }).parse(row).record_json)));
  }

  delete(id: string): boolean {
    return this.db.prepare(`DELETE FROM catalog_models WHERE id = ?`).run(id).changes > 0;
  }

  /** sha256 digests of models retired by an operator: admission refuses them. */
  retiredShas(): Set<string> {
    return new Set(this.list().filter((e) => e.lifecycle === "Retired" && e.digest?.algo === "sha256").map((e) => e.digest?.value as string));
  }
}
