import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import { openDatabase, type Db } from "../src-main/orchestrator/db/database.js";

/**
 * For a test file: returns a function that opens a fresh SQLite database in its own temporary folder;
 * the one opened in a test is closed and its folder removed after that test.
 */
export function tempDatabases(prefix: string): () => Db {
  let dir: string | null = null;
  let db: Db | null = null;
  afterEach(() => {
    db?.close();
    db = null;
    if (dir !== null) rmSync(dir, { recursive: true, force: true });
    dir = null;
  });
  return () => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    db = openDatabase(join(dir, "orchestrator.db"));
    return db;
  };
}
