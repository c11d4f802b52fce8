import { z } from "zod";
import { PoolDesiredSchema, type PoolDesired } from "../../../src-shared/nodes/pool-desired.js";
import type { Db } from "./database.js";

const PoolDesiredRowSchema = z.object({
  pool_id: z.string(),
  model: z.string().nullable(),
  slots: z.number().nullable(),
  draining: z.number(),
  drain_deadline_ms: z.number(),
  updated_at_ms: z.number(),
});

/** Operator-set pool desired state: it must survive an orchestrator restart to be reconciled after it. */
export class PoolDesiredStore {
  private readonly upsertStmt;

  constructor(private readonly db: Db) {
    this.upsertStmt = db.prepare(
      `INSERT INTO pool_desired (pool_id, model, slots, draining, drain_deadline_ms, updated_at_ms)
       VALUES (@pool_id, @model, @slots, @draining, @drain_deadline_ms, @updated_at_ms)
       ON CONFLICT(pool_id) DO UPDATE SET model=excluded.model, slots=excluded.slots, draining=excluded.draining,
         drain_deadline_ms=excluded.drain_deadline_ms, updated_at_ms=excluded.updated_at_ms`,
    );
  }

  save(desired: PoolDesired): void {
    this.upsertStmt.run({ ...desired, draining: desired.draining ? 1 : 0 });
  }

  loadAll(): PoolDesired[] {
    return this.db
      .prepare(`SELECT * FROM pool_desired ORDER BY pool_id`)
      .all()
      .map((raw) => {
        const row = PoolDesiredRowSchema.parse(raw);
        return PoolDesiredSchema.parse({ ...row, draining: row.draining !== 0 });
      });
  }
}
