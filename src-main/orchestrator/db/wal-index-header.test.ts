import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "./database.js";
import { WalIndexHeader } from "./wal-index-header.js";

let dir: string;
let db: Db | null = null;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "llorch-walidx-"));
});

afterEach(() => {
  db?.close();
  db = null;
  rmSync(dir, { recursive: true, force: true });
});

describe("WalIndexHeader", () => {
  it("reads the WAL's frame count as SQLite reports it, and sees the WAL start over", () => {
    const path = join(dir, "x.db");
    db = openDatabase(path);
    db.pragma("wal_autocheckpoint = 0");
    db.exec("CREATE TABLE t (x TEXT)");
    const insert = db.prepare("INSERT INTO t VALUES (?)");
    for (let i = 0; i < 300; i++) insert.run("y".repeat(500));
    const header = new WalIndexHeader(path);
    const frames = header.frames();
    const row = db.prepare("PRAGMA wal_checkpoint(PASSIVE)").get() as { log: number; checkpointed: number };
    expect(frames).toBeGreaterThan(100);
    expect(frames).toBe(row.log);
    expect(row.checkpointed).toBe(row.log);
    const generation = header.generation();
    insert.run("after a complete checkpoint");
    expect(header.frames()).toBe(1);
    expect(header.generation()).not.toBe(generation);
    header.close();
  });

  it("answers null without a -shm file", () => {
    const header = new WalIndexHeader(join(dir, "missing.db"));
    expect(header.frames()).toBeNull();
    header.close();
  });
});
