import { chmodSync, closeSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import Database from "libsql";
import { databaseFailure, foreignDatabase, newerDatabase } from "./database-unusable.js";
import { inTransaction } from "./transaction.js";

export type Db = InstanceType<typeof Database>;

// Ordered, append-only migrations; `PRAGMA user_version` records how many have run.
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE nodes (
     node_id TEXT PRIMARY KEY,
     machine_id TEXT NOT NULL,
     address TEXT NOT NULL,
     version TEXT,
     capabilities_json TEXT NOT NULL,
     pools_json TEXT NOT NULL,
     models_json TEXT NOT NULL,
     status TEXT NOT NULL,
     registered_at_ms INTEGER NOT NULL,
     last_heartbeat_ms INTEGER NOT NULL
   );
   CREATE TABLE node_events (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     node_id TEXT NOT NULL,
     at_ms INTEGER NOT NULL,
     kind TEXT NOT NULL,
     message TEXT NOT NULL
   );
   CREATE INDEX node_events_by_node ON node_events(node_id, at_ms);
   CREATE TABLE tasks (
     task_id TEXT PRIMARY KEY,
     session_id TEXT NOT NULL,
     api TEXT NOT NULL,
     model TEXT NOT NULL,
     priority TEXT NOT NULL,
     state TEXT NOT NULL,
     accepted_at_ms INTEGER NOT NULL,
     started_at_ms INTEGER,
     first_token_at_ms INTEGER,
     finished_at_ms INTEGER,
     node_id TEXT,
     pool_id TEXT,
     tokens_in INTEGER NOT NULL DEFAULT 0,
     tokens_out INTEGER NOT NULL DEFAULT 0,
     error_code TEXT,
     error_message TEXT,
     placement_json TEXT
   );
   CREATE INDEX tasks_by_accept ON tasks(accepted_at_ms);
   CREATE TABLE api_keys (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     digest_hex TEXT NOT NULL,
     fp6 TEXT NOT NULL,
     created_at_ms INTEGER NOT NULL,
     revoked_at_ms INTEGER
   );
   CREATE TABLE audit_log (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     at_ms INTEGER NOT NULL,
     identity TEXT NOT NULL,
     action TEXT NOT NULL,
     target TEXT NOT NULL,
     outcome TEXT NOT NULL,
     details_json TEXT
   );
   CREATE TABLE settings (
     key TEXT PRIMARY KEY,
     value_json TEXT NOT NULL
   );
   CREATE TABLE catalog_models (
     id TEXT PRIMARY KEY,
     sha256 TEXT,
     record_json TEXT NOT NULL,
     created_at_ms INTEGER NOT NULL
   );`,
  `CREATE TABLE dashboard_sessions (
     digest_hex TEXT PRIMARY KEY,
     expires_at_ms INTEGER NOT NULL
   );`,
  // Nomad's node model: eligibility (operator drain) persisted apart from status; pool desired state.
  `ALTER TABLE nodes ADD COLUMN eligibility TEXT NOT NULL DEFAULT 'eligible';
   ALTER TABLE node_events ADD COLUMN from_status TEXT;
   ALTER TABLE node_events ADD COLUMN to_status TEXT;
   CREATE TABLE pool_desired (
     pool_id TEXT PRIMARY KEY,
     model TEXT,
     slots INTEGER,
     draining INTEGER NOT NULL,
     drain_deadline_ms INTEGER NOT NULL,
     updated_at_ms INTEGER NOT NULL
   );`,
  // Crash-proof admission: what is needed to re-queue an acknowledged task after a crash, and the
  // client's Idempotency-Key (unique) so a retried request finds its task instead of running twice.
  `ALTER TABLE tasks ADD COLUMN request_json TEXT;
   ALTER TABLE tasks ADD COLUMN idempotency_key TEXT;
   CREATE UNIQUE INDEX tasks_by_idempotency_key ON tasks(idempotency_key) WHERE idempotency_key IS NOT NULL;`,
  // The catalog by sha256 (built from worker inventories) and staging jobs (docs/MODEL_STAGING.md).
  `CREATE TABLE known_models (
     sha256 TEXT PRIMARY KEY,
     size_bytes INTEGER NOT NULL,
     architecture TEXT,
     parameter_count INTEGER,
     context_length INTEGER,
     quantization TEXT,
     has_chat_template INTEGER NOT NULL,
     first_seen_ms INTEGER NOT NULL,
     updated_at_ms INTEGER NOT NULL
   );
   CREATE TABLE known_model_names (
     sha256 TEXT NOT NULL,
     kind TEXT NOT NULL,
     name TEXT NOT NULL,
     PRIMARY KEY (sha256, kind, name)
   );
   CREATE TABLE model_placements (
     sha256 TEXT NOT NULL,
     node_id TEXT NOT NULL,
     state TEXT NOT NULL,
     file_names_json TEXT NOT NULL,
     updated_at_ms INTEGER NOT NULL,
     PRIMARY KEY (sha256, node_id)
   );
   CREATE TABLE staging_jobs (
     job_id TEXT PRIMARY KEY,
     sha256 TEXT NOT NULL,
     target_node_id TEXT NOT NULL,
     state TEXT NOT NULL,
     record_json TEXT NOT NULL,
     created_at_ms INTEGER NOT NULL
   );
   CREATE INDEX staging_jobs_by_state ON staging_jobs(state);
   CREATE INDEX staging_jobs_by_created ON staging_jobs(created_at_ms);`,
  // Scoped credentials: keys made before scopes existed were full admin and stay so; who made each
  // key; the credential a node is bound to (NULL: the next registration binds it); audit retention by age.
  `ALTER TABLE api_keys ADD COLUMN scopes_json TEXT NOT NULL DEFAULT '["admin"]';
   ALTER TABLE api_keys ADD COLUMN created_by TEXT;
   ALTER TABLE nodes ADD COLUMN owner TEXT;
   CREATE INDEX audit_log_by_time ON audit_log(at_ms);`,
  // Join tokens (docs/SECURITY.md "Joining a worker"): single-use, short-lived, stored as SHA-256
  // digests; exchanged once for a `worker` key bound to one node id (api_keys.node_id).
  `CREATE TABLE join_tokens (
     id TEXT PRIMARY KEY,
     digest_hex TEXT NOT NULL UNIQUE,
     fp6 TEXT NOT NULL,
     node_id TEXT,
     created_at_ms INTEGER NOT NULL,
     expires_at_ms INTEGER NOT NULL,
     created_by TEXT NOT NULL,
     used_at_ms INTEGER,
     used_for_node_id TEXT,
     key_id TEXT
   );
   ALTER TABLE api_keys ADD COLUMN node_id TEXT;`,
  // Hub pulls (docs/MODEL_STAGING.md): the request and the last progress, so an unfinished pull
  // carries on from its part file after an orchestrator restart.
  `CREATE TABLE hub_pulls (
     pull_id TEXT PRIMARY KEY,
     state TEXT NOT NULL,
     request_json TEXT NOT NULL,
     record_json TEXT NOT NULL,
     created_at_ms INTEGER NOT NULL
   );
   CREATE INDEX hub_pulls_by_created ON hub_pulls(created_at_ms);`,
  // Keyed results (docs/RELIABILITY.md "Idempotency-Key"): the events of a finished task that was
  // sent with an Idempotency-Key, so a retry after the task left memory (or after a restart) replays
  // them instead of running again. Bounded by age and total bytes (idempotent-results.ts).
  `CREATE TABLE idempotent_results (
     task_id TEXT PRIMARY KEY,
     finished_at_ms INTEGER NOT NULL,
     bytes INTEGER NOT NULL,
     events_json TEXT NOT NULL
   );
   CREATE INDEX idempotent_results_by_time ON idempotent_results(finished_at_ms);`,
  // Per-key limits and usage (docs/SECURITY.md "Per-key limits"): each key's limits, and what each
  // credential used per UTC day (requests admitted, prompt and generated tokens).
  `ALTER TABLE api_keys ADD COLUMN limits_json TEXT;
   CREATE TABLE key_usage (
     credential_id TEXT NOT NULL,
     day TEXT NOT NULL,
     requests INTEGER NOT NULL,
     tokens_in INTEGER NOT NULL,
     tokens_out INTEGER NOT NULL,
     PRIMARY KEY (credential_id, day)
   );
   CREATE INDEX key_usage_by_day ON key_usage(day);`,
  // Model aliases (docs/MODEL_STAGING.md "Aliases"): operator-chosen names pointing at a model by sha256.
  `CREATE TABLE model_aliases (
     name TEXT PRIMARY KEY,
     sha256 TEXT NOT NULL,
     created_at_ms INTEGER NOT NULL,
     updated_at_ms INTEGER NOT NULL,
     updated_by TEXT NOT NULL
   );`,
  // Tasks by when they ended: the restart's recovery finds the unfinished ones (NULL) and the ones that
  // ended after the last key-usage write (key-usage-meter.ts) without scanning the whole journal.
  `CREATE INDEX tasks_by_finish ON tasks(finished_at_ms);`,
  // What GET /v2/tasks/{id} answers for a task only the journal still holds (it reported a stop_reason
  // of null and one attempt after any restart): why it stopped, and how many nodes and rescues it took;
  // and the boot a kept result's event ids carry, so a resume after a restart skips what the client had.
  `ALTER TABLE tasks ADD COLUMN stop_reason TEXT;
   ALTER TABLE tasks ADD COLUMN attempts INTEGER;
   ALTER TABLE tasks ADD COLUMN rescues INTEGER;
   ALTER TABLE idempotent_results ADD COLUMN boot_id TEXT;`,
];

/** Opens (creating if needed) the orchestrator database in WAL mode and runs pending migrations. */
/**
 * The database holds prompts (queued requests, for crash recovery), answers kept for Idempotency-Key
 * retries and the audit trail: readable by its owner only. It was created 0644 (the process umask), so
 * any local user could read every prompt. SQLite gives its -wal and -shm files the database file's
 * mode; existing files are tightened too.
 */
function ownerOnly(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  closeSync(openSync(path, "a", 0o600));
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      chmodSync(file, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
  }
}

export function openDatabase(path: string): Db {
  if (path !== ":memory:") ownerOnly(path);
  const db = new Database(path);
  try {
    prepare(db, path);
    return db;
  } catch (err) {
    db.close();
    throw databaseFailure(err, path) ?? err;
  }
}

/** Open pragmas, the schema checks and pending migrations (each in its own transaction). */
function prepare(db: Db, path: string): void {
  db.pragma("journal_mode = WAL");
  // NORMAL is durable in WAL mode across process crashes (only an OS crash can lose the last commit).
  db.pragma("synchronous = NORMAL");
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  // libsql returns rows as objects (with a `_metadata` field), even for `pragma(…, {simple:true})`.
  const current = (db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version;
  if (current > MIGRATIONS.length) throw newerDatabase(path, current, MIGRATIONS.length);
  if (current === 0) {
    // A fresh file has no tables; one with tables but no schema version is another program's database
    // (migrating it would mix our tables into it). A crash in the first migration leaves none: it is
    // one transaction.
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
    if (tables.length > 0) throw foreignDatabase(path, tables);
  }
  for (let i = current; i < MIGRATIONS.length; i++) {
    const migration = MIGRATIONS[i] as string;
    inTransaction(db, () => {
      db.exec(migration);
      db.pragma(`user_version = ${i + 1}`);
    });
  }
}
