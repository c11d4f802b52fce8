import { z } from "zod";
import type { ModelInventoryEntry } from "../../../src-shared/models/model-inventory.js";
import type { Db } from "./database.js";
import { inTransaction } from "./transaction.js";
import { bestEffort, type WriteFailureReporter } from "./write-failure-reporter.js";

/**
 * Models no registered node holds (removed everywhere, or only on nodes since deregistered or
 * forgotten) kept in the catalog: the 1,000 most recently reported. Held models are all kept.
 */
export const MAX_UNHELD_MODELS = 1000;
/** Names of each kind (GGUF name, file name) kept per model: a node reporting fresh names every beat cannot grow the catalog. */
export const MAX_NAMES_PER_MODEL = 16;
const PRUNE_INTERVAL_MS = 10_000;

/** A model the cluster has seen, by sha256, with its GGUF facts. */
export interface KnownModel {
  sha256: string;
  size_bytes: number;
  architecture: string | null;
  parameter_count: number | null;
  context_length: number | null;
  quantization: string | null;
  has_chat_template: boolean;
  first_seen_ms: number;
  updated_at_ms: number;
  /** general.name values reported for it (usually one). */
  gguf_names: string[];
  file_names: string[];
}

/** Whether a node has the file: verified (reported by the node) or absent (it had it, or it was removed). */
export interface StoredPlacement {
  sha256: string;
  node_id: string;
  state: "verified" | "absent";
  file_names: string[];
  updated_at_ms: number;
}

const ModelRow = z.object({
  sha256: z.string(),
  size_bytes: z.number(),
  architecture: z.string().nullable(),
  parameter_count: z.number().nullable(),
  context_length: z.number().nullable(),
  quantization: z.string().nullable(),
  has_chat_template: z.number(),
  first_seen_ms: z.number(),
  updated_at_ms: z.number(),
});
const NameRow = z.object({ sha256: z.string(), kind: z.enum(["gguf", "file"]), name: z.string() });
const PlacementRow = z.object({ sha256: z.string(), node_id: z.string(), state: z.enum(["verified", "absent"]), file_names_json: z.string(), updated_at_ms: z.number() });

/**
 * The catalog by sha256 in SQLite: one row per distinct file content, the names it is known by, and
 * per node whether it holds it. Fed by worker inventories (catalog-sync) and model removals.
 */
export class KnownModelStore {
  private lastPruneMs = -Infinity;

  /** `report`: inventory writes go on from memory when the database refuses them (bestEffort); without it they throw. */
  constructor(
    private readonly db: Db,
    private readonly report?: WriteFailureReporter,
    /** Models no registered node holds that are kept (the newest by last report); the rest are forgotten. */
    private readonly maxUnheld: number = MAX_UNHELD_MODELS,
  ) {}

  /**
   * Forgets all but the `maxUnheld` most recently reported models that no registered node holds any
   * more, with their names and placements; returns how many went. Held models are never touched, and
   * operator records and the store list their models on their own.
   */
  pruneUnheld(): number {
    const doomed = this.db
      .prepare(
        `SELECT k.sha256 AS sha256 FROM known_models k
         WHERE NOT EXISTS (SELECT 1 FROM model_placements p JOIN nodes n ON n.node_id = p.node_id WHERE p.sha256 = k.sha256 AND p.state = 'verified')
         ORDER BY k.updated_at_ms DESC, k.sha256 LIMIT -1 OFFSET ?`,
      )
      .all(this.maxUnheld)
      .map((raw) => z.object({ sha256: z.string() }).parse(raw).sha256);
    if (doomed.length === 0) return 0;
    const model = this.db.prepare(`DELETE FROM known_models WHERE sha256 = ?`);
    const names = this.db.prepare(`DELETE FROM known_model_names WHERE sha256 = ?`);
    const placements = this.db.prepare(`DELETE FROM model_placements WHERE sha256 = ?`);
    inTransaction(this.db, () => {
      for (const sha of doomed) {
        model.run(sha);
        names.run(sha);
        placements.run(sha);
      }
    });
    return doomed.length;
  }

  /** Replaces what one node holds with its latest inventory (duplicate files of one digest are one model). */
  recordInventory(nodeId: string, inventory: readonly ModelInventoryEntry[], now: number): void {
    if (this.report !== undefined) return bestEffort("model inventory", this.report, () => this.writeInventory(nodeId, inventory, now));
    this.writeInventory(nodeId, inventory, now);
  }

  private writeInventory(nodeId: string, inventory: readonly ModelInventoryEntry[], now: number): void {
    const bySha = new Map<string, { entry: ModelInventoryEntry; files: Set<string> }>();
    for (const m of inventory) {
      const known = bySha.get(m.sha256) ?? { entry: m, files: new Set<string>() };
      known.files.add(m.file_name);
      bySha.set(m.sha256, known);
    }
    const upsertModel = this.db.prepare(
      `INSERT INTO known_models (sha256, size_bytes, architecture, parameter_count, context_length, quantization, has_chat_template, first_seen_ms, updated_at_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(sha256) DO UPDATE SET size_bytes = excluded.size_bytes, architecture = excluded.architecture, parameter_count = excluded.parameter_count,
         context_length = excluded.context_length, quantization = excluded.quantization, has_chat_template = excluded.has_chat_template, updated_at_ms = excluded.updated_at_ms`,
    );
    // At most MAX_NAMES_PER_MODEL names of a kind per model, and file names only while some placement
    // lists them: names were only ever added, so a node reporting its model under fresh names every
    // beat grew this table (and every catalog listing) without end.
    const addName = this.db.prepare(
      `INSERT OR IGNORE INTO known_model_names (sha256, kind, name) SELECT ?1, ?2, ?3
       WHERE (SELECT COUNT(*) FROM known_model_names WHERE sha256 = ?1 AND kind = ?2) < ?4`,
    );
    const dropStaleFiles = this.db.prepare(
      `DELETE FROM known_model_names WHERE sha256 = ?1 AND kind = 'file'
         AND name NOT IN (SELECT j.value FROM model_placements p, json_each(p.file_names_json) j WHERE p.sha256 = ?1)`,
    );
    const place = this.db.prepare(
      `INSERT INTO model_placements (sha256, node_id, state, file_names_json, updated_at_ms) VALUES (?, ?, 'verified', ?, ?)
       ON CONFLICT(sha256, node_id) DO UPDATE SET state = 'verified', file_names_json = excluded.file_names_json, updated_at_ms = excluded.updated_at_ms`,
    );
    const gone = this.db.prepare(`UPDATE model_placements SET state = 'absent', updated_at_ms = ? WHERE node_id = ? AND sha256 = ? AND state = 'verified'`);
    inTransaction(this.db, () => {
      for (const [sha, { entry, files }] of bySha) {
        upsertModel.run(sha, entry.size_bytes, entry.architecture ?? null, entry.parameter_count ?? null, entry.context_length ?? null, entry.quantization ?? null, entry.has_chat_template ? 1 : 0, now, now);
        // A name the worker made from the file name is a file name, not a GGUF name (the id rule tells them apart).
        place.run(sha, nodeId, JSON.stringify([...files].sort()), now);
        dropStaleFiles.run(sha);
        if (entry.name_from !== "file_name") addName.run(sha, "gguf", entry.name, MAX_NAMES_PER_MODEL);
        for (const file of files) addName.run(sha, "file", file, MAX_NAMES_PER_MODEL);
      }
      for (const row of this.placements({ nodeId })) if (row.state === "verified" && !bySha.has(row.sha256)) gone.run(now, nodeId, row.sha256);
    });
    // Bounded catalog: every sha256 a node ever reported was kept for good (a worker key reporting made-up
    // models, or cycling node ids, grew it without end). At most every PRUNE_INTERVAL_MS, not per report.
    if (now - this.lastPruneMs >= PRUNE_INTERVAL_MS) {
      this.lastPruneMs = now;
      this.pruneUnheld();
    }
  }

  markAbsent(sha256: string, nodeId: string, now: number): void {
    const write = () => void this.db.prepare(`UPDATE model_placements SET state = 'absent', updated_at_ms = ? WHERE node_id = ? AND sha256 = ?`).run(now, nodeId, sha256);
    if (this.report !== undefined) bestEffort("model placement", this.report, write);
    else write();
  }

  list(): KnownModel[] {
    const names = new Map<string, { gguf: string[]; file: string[] }>();
    for (const raw of this.db.prepare(`SELECT sha256, kind, name FROM known_model_names ORDER BY name`).all()) {
      const row = NameRow.parse(raw);
      const entry = names.get(row.sha256) ?? { gguf: [], file: [] };
      entry[row.kind].push(row.name);
      names.set(row.sha256, entry);
    }
    return this.db
      .prepare(`SELECT * FROM known_models ORDER BY sha256`)
      .all()
      .map((raw) => {
        const row = ModelRow.parse(raw);
        return { ...row, has_chat_template: row.has_chat_template === 1, gguf_names: names.get(row.sha256)?.gguf ?? [], file_names: names.get(row.sha256)?.file ?? [] };
      });
  }

  get(sha256: string): KnownModel | undefined {
    return this.list().find((m) => m.sha256 === sha256);
  }

  placements(filter: { sha256?: string; nodeId?: string } = {}): StoredPlacement[] {
    return this.db
      .prepare(`SELECT * FROM model_placements WHERE (? IS NULL OR sha256 = ?) AND (? IS NULL OR node_id = ?) ORDER BY sha256, node_id`)
      .all(filter.sha256 ?? null, filter.sha256 ?? null, filter.nodeId ?? null, filter.nodeId ?? null)
      .map((raw) => {
        const row = PlacementRow.parse(raw);
        return { sha256: row.sha256, node_id: row.node_id, state: row.state, file_names: z.array(z.string()).parse(JSON.parse(row.file_names_json)), updated_at_ms: row.updated_at_ms };
      });
  }
}
