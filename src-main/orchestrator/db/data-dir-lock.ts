import { accessSync, constants, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "libsql";
import { StartupRefused } from "../auth/api-token-bootstrap.js";

/** The file whose lock says "an orchestrator runs on this data dir". */
export const LOCK_FILE = "orchestrator.lock";
/** Who holds the lock (pid, started at), for the refusal message only; never trusted as the lock. */
const OWNER_FILE = "orchestrator.lock.owner";

/** Refused start: another orchestrator holds the data dir. */
export class DataDirInUse extends StartupRefused {}

export interface DataDirLock {
  release(): void;
}

/**
 * Takes the data dir for this process, or refuses: two orchestrators on one data dir would both
 * re-queue the same journaled tasks after a crash, run them twice and race on every key and node row.
 * The lock is SQLite's own file lock (an EXCLUSIVE transaction held open on a small side database),
 * which the kernel drops when the process dies however it dies: a SIGKILLed orchestrator never leaves
 * a stale lock behind (a pid file would, and a reused pid would then refuse the restart).
 */
export function lockDataDir(dataDir: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // A read-only or foreign-owned dir fails here as a file error naming the dir (start-up prints it in one
  // line), not as SQLite's "Unable to open connection … 14" below.
  accessSync(dataDir, constants.W_OK);
  const path = join(dataDir, LOCK_FILE);
  const ownerPath = join(dataDir, OWNER_FILE);
  // The lock file holds nothing: one that cannot be opened as a database was replaced by something else.
  const unusable = (err: unknown) =>
    new StartupRefused(`cannot take the lock file ${path} (${err instanceof Error ? err.message : String(err)}): it is not one llama-orch wrote; stop any llama-orch on this data dir, delete it and start again`);
  let db: InstanceType<typeof Database>;
  try {
    db = new Database(path);
  } catch (err) {
    throw unusable(err);
  }
  try {
    db.pragma("busy_timeout = 0");
    db.exec("BEGIN EXCLUSIVE");
  } catch (err) {
    db.close();
    if ((err as { code?: unknown }).code !== "SQLITE_BUSY") throw unusable(err);
    let owner = "";
    try {
      owner = ` (pid ${readFileSync(ownerPath, "utf8").trim()})`;
    } catch {
      // The owner file is informational; the lock itself is what refuses.
    }
    throw new DataDirInUse(`the data dir ${dataDir} is in use by another running llama-orch${owner}; stop it first, or give this one its own data dir (--data-dir / LLORCH_DATA_DIR)`);
  }
  try {
    writeFileSync(ownerPath, `${process.pid}\n`, { mode: 0o600 });
  } catch {
    // Informational only (a full disk must not stop a start the lock allowed).
  }
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      // libsql's close() alone keeps the lock of an open transaction: roll back first.
      db.exec("ROLLBACK");
      db.close();
    },
  };
}
