// The database (prompts of queued tasks, answers kept for retries, the audit trail) and its WAL files
// are readable by their owner only; they were created with the umask's 0644, readable by every local user.
import { chmodSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase } from "./database.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const mode = (path: string) => statSync(path).mode & 0o777;

describe("database file permissions", () => {
  it("creates the database, its WAL and shared-memory files and a new data dir for the owner only", () => {
    const parent = mkdtempSync(join(tmpdir(), "llorch-db-mode-"));
    dirs.push(parent);
    const path = join(parent, "data", "orchestrator.db");
    const db = openDatabase(path);
    db.prepare(`INSERT INTO audit_log (at_ms, identity, action, target, outcome) VALUES (1, 'x', 'y', 'z', 'success')`).run();
    expect(mode(path)).toBe(0o600);
    expect(mode(`${path}-wal`)).toBe(0o600);
    expect(mode(`${path}-shm`)).toBe(0o600);
    expect(mode(join(parent, "data"))).toBe(0o700);
    db.close();
  });

  it("tightens a database an earlier version left readable by everyone", () => {
    const dir = mkdtempSync(join(tmpdir(), "llorch-db-mode-"));
    dirs.push(dir);
    const path = join(dir, "orchestrator.db");
    openDatabase(path).close();
    chmodSync(path, 0o644);
    const db = openDatabase(path);
    db.prepare(`INSERT INTO audit_log (at_ms, identity, action, target, outcome) VALUES (1, 'x', 'y', 'z', 'success')`).run();
    expect(mode(path)).toBe(0o600);
    expect(mode(`${path}-wal`)).toBe(0o600);
    db.close();
  });
});
