// The WAL checkpoint thread on real SQLite files: it keeps the WAL bounded while the main connection
// never checkpoints, the main connection takes checkpoints back when the thread cannot run or dies,
// close leaves no WAL and no thread, and a killed writer loses no committed row.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { waitFor } from "../../../test-support/wait-for.js";
import { openDatabase, type Db } from "./database.js";
import type { CheckpointReport } from "./wal-checkpoint-messages.js";
import { DEFAULT_WAL_AUTOCHECKPOINT, WalCheckpointer, defaultThreadEntry } from "./wal-checkpointer.js";
import { WalIndexHeader } from "./wal-index-header.js";

let dir: string;
const open: Db[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "llorch-ckpt-"));
});

afterEach(() => {
  for (const db of open.splice(0)) if (db.open) db.close();
  rmSync(dir, { recursive: true, force: true });
});

function database(name = "orchestrator.db"): { db: Db; path: string } {
  const path = join(dir, name);
  const db = openDatabase(path);
  open.push(db);
  db.exec("CREATE TABLE rows (id INTEGER PRIMARY KEY, body TEXT NOT NULL)");
  return { db, path };
}

function autocheckpoint(db: Db): number {
  return (db.prepare("PRAGMA wal_autocheckpoint").get() as { wal_autocheckpoint: number }).wal_autocheckpoint;
}

function walBytes(path: string): number {
  return existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0;
}

/**
 * 1,500 single-row commits (~2 frames each) in turns of 50, yielding after each turn (10 ms, or until
 * `betweenTurns` resolves) so the thread's reports arrive; the largest WAL seen.
 */
async function writeMany(db: Db, path: string, betweenTurns: () => Promise<unknown> = () => sleep(10)): Promise<number> {
  const insert = db.prepare("INSERT INTO rows (body) VALUES (?)");
  let largest = 0;
  for (let turn = 0; turn < 30; turn++) {
    for (let i = 0; i < 50; i++) insert.run("x".repeat(600));
    largest = Math.max(largest, walBytes(path));
    await betweenTurns();
  }
  return largest;
}

describe("WAL checkpoint thread", () => {
  it("keeps the WAL bounded while the main connection never checkpoints", async () => {
    // Without any checkpoint the same writes grow the WAL to their whole size: the control.
    const control = database("control.db");
    control.db.pragma("wal_autocheckpoint = 0");
    const unchecked = await writeMany(control.db, control.path);

    const { db, path } = database();
    const reports: CheckpointReport[] = [];
    const checkpointer = WalCheckpointer.start(db, path, { intervalMs: 20, checkpointAfterFrames: 50, restartAfterFrames: 200, onCheckpoint: (r) => reports.push(r) });
    expect(await checkpointer.ready()).toBe("thread");
    expect(autocheckpoint(db)).toBe(0);
    // Each turn waits for the thread's next report: on a loaded box a fixed 10 ms let the writer run
    // turns ahead of a thread that got no CPU (one CI run: 5.5 MB against a 4.3 MB bound). A thread
    // that never checkpoints still fails here (no report), and one that lags within a turn below.
    const reported = () => {
      const before = reports.length;
      return waitFor("the checkpoint thread's report after a turn of writes", () => reports.length > before, 10_000, 5);
    };
    const largest = await writeMany(db, path, reported);

    expect(unchecked).toBeGreaterThan(1_000 * 4096);
    expect(largest).toBeLessThan(unchecked / 2);
    // Every frame reaches the database file, and a later commit starts the WAL over (the commit that
    // finds all of it copied; one that races the thread's tick appends instead, so a few may take turns).
    await waitFor("a checkpoint with the whole WAL copied", () => {
      const last = reports.at(-1);
      return last !== undefined && last.log > 2 && last.checkpointed === last.log;
    });
    const walIndex = new WalIndexHeader(path);
    await waitFor("the WAL started over", () => {
      const frames = walIndex.frames();
      if (frames !== null && frames <= 2) return true;
      db.prepare("INSERT INTO rows (body) VALUES ('after')").run();
      return false;
    }, 15_000, 100);
    walIndex.close();
    // Only a long WAL is checkpointed (a complete checkpoint makes the next commit sync a new WAL
    // header): a few commits into the new WAL, each given several of the thread's ticks, get none.
    const before = reports.length;
    for (let i = 0; i < 5; i++) {
      db.prepare("INSERT INTO rows (body) VALUES ('short')").run();
      await sleep(100);
    }
    expect(reports.slice(before)).toEqual([]);
    // 1,500 commits of at least one frame each, all but the last WAL's (< 50) copied by the thread (a
    // report racing a commit that starts the WAL over can miss a few frames in the count).
    expect(reports.reduce((n, r) => n + r.copied, 0)).toBeGreaterThan(1_400);
    expect(autocheckpoint(db)).toBe(0);
    await checkpointer.close();
  });

  it("leaves the main connection's autocheckpoint on when the thread cannot start", async () => {
    const { db, path } = database();
    const fallbacks: string[] = [];
    const checkpointer = WalCheckpointer.start(db, path, { threadEntry: join(dir, "missing.js"), onFallback: (r) => fallbacks.push(r) });
    expect(await checkpointer.ready()).toBe("connection");
    expect(checkpointer.fallbackReason).toMatch(/missing\.js/);
    expect(fallbacks).toHaveLength(1);
    expect(autocheckpoint(db)).toBe(DEFAULT_WAL_AUTOCHECKPOINT);
    await checkpointer.close();
  });

  it("gives checkpoints back to the main connection when the thread dies", async () => {
    const { db, path } = database();
    // A thread that says it is up, then throws.
    const dying = join(dir, "dying-thread.mjs");
    writeFileSync(dying, `import { parentPort } from "node:worker_threads";\nparentPort.postMessage({ type: "ready" });\nsetTimeout(() => { throw new Error("thread died"); }, 200);\n`);
    const checkpointer = WalCheckpointer.start(db, path, { threadEntry: dying });
    expect(await checkpointer.ready()).toBe("thread");
    expect(autocheckpoint(db)).toBe(0);
    await waitFor("the fallback", () => checkpointer.site === "connection");
    expect(checkpointer.fallbackReason).toMatch(/thread died/);
    expect(autocheckpoint(db)).toBe(DEFAULT_WAL_AUTOCHECKPOINT);
    await checkpointer.close();
  });

  it("keeps SQLite's own behaviour for an in-memory database", async () => {
    const db = openDatabase(":memory:");
    open.push(db);
    const checkpointer = WalCheckpointer.start(db, ":memory:");
    expect(await checkpointer.ready()).toBe("connection");
    expect(checkpointer.fallbackReason).toBeNull();
    expect(autocheckpoint(db)).toBe(DEFAULT_WAL_AUTOCHECKPOINT);
    await checkpointer.close();
  });

  it("close ends the thread and leaves no WAL content behind", async () => {
    const { db, path } = database();
    // No terminate() to fall back on within the test's time: a thread that did not end would hang close().
    const checkpointer = WalCheckpointer.start(db, path, { intervalMs: 20, stopTimeoutMs: 120_000 });
    expect(await checkpointer.ready()).toBe("thread");
    await writeMany(db, path);
    await checkpointer.close();
    expect(checkpointer.threadRunning).toBe(false);
    expect(checkpointer.site).toBe("connection");
    // TRUNCATE on the main connection: the WAL is empty before the connection closes. (The file itself
    // stays while libsql statements are alive: close() then leaves a zombie connection until GC.)
    expect(walBytes(path)).toBe(0);
    db.close();
    expect(walBytes(path)).toBe(0);
    const reopened = openDatabase(path);
    open.push(reopened);
    expect((reopened.prepare("SELECT count(*) AS n FROM rows").get() as { n: number }).n).toBe(1_500);
  });
});

// Child processes run the compiled modules (`npm test` builds first; `npx tsc -b` by hand).
const DIST_DB = fileURLToPath(new URL("../../../dist/src-main/orchestrator/db/", import.meta.url));

function runChild(script: string): { child: ReturnType<typeof spawn>; lines: string[]; exited: Promise<number | null> } {
  // A file, not `-e`: the thread inherits the process's flags, and `--input-type` is refused for a file.
  const file = join(dir, `child-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(file, script);
  const child = spawn(process.execPath, [file], { stdio: ["ignore", "pipe", "inherit"] });
  const lines: string[] = [];
  let partial = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    const parts = (partial + chunk.toString("utf8")).split("\n");
    partial = parts.pop() ?? "";
    lines.push(...parts);
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, lines, exited };
}

const CHILD_PRELUDE = `
import { openDatabase } from "${join(DIST_DB, "database.js")}";
import { WalCheckpointer } from "${join(DIST_DB, "wal-checkpointer.js")}";
`;

describe("WAL checkpoint thread in a process", () => {
  it("is built", () => {
    expect(existsSync(defaultThreadEntry()), `${defaultThreadEntry()} (run npx tsc -b)`).toBe(true);
  });

  it("loses no committed row when the writing process is killed mid-checkpointing", async () => {
    const path = join(dir, "crash.db");
    // Each id is printed after its commit returned (stdout to a pipe is synchronous on Linux).
    const run = runChild(`${CHILD_PRELUDE}
const db = openDatabase(${JSON.stringify(path)});
db.exec("CREATE TABLE rows (id INTEGER PRIMARY KEY, body TEXT NOT NULL)");
let checkpoints = 0;
const checkpointer = WalCheckpointer.start(db, ${JSON.stringify(path)}, { intervalMs: 10, checkpointAfterFrames: 20, restartAfterFrames: 100, onCheckpoint: () => { checkpoints++; } });
if ((await checkpointer.ready()) !== "thread") throw new Error("no thread");
const insert = db.prepare("INSERT INTO rows (id, body) VALUES (?, ?)");
let id = 0;
for (;;) {
  for (let i = 0; i < 20; i++) { insert.run(++id, "y".repeat(300)); process.stdout.write(id + "\\n"); }
  if (checkpoints > 0) process.stdout.write("checkpointed\\n");
  await new Promise((r) => setImmediate(r));
}
`);
    try {
      await waitFor("checkpoints while writing", () => run.lines.includes("checkpointed") && run.lines.filter((l) => /^\d+$/.test(l)).length > 3_000, 20_000);
      run.child.kill("SIGKILL");
      await run.exited;
    } finally {
      run.child.kill("SIGKILL");
    }
    const committed = run.lines.filter((l) => /^\d+$/.test(l)).map(Number);
    const db = openDatabase(path);
    open.push(db);
    const present = new Set((db.prepare("SELECT id FROM rows").all() as { id: number }[]).map((r) => r.id));
    const lost = committed.filter((id) => !present.has(id));
    expect(committed.length).toBeGreaterThan(3_000);
    expect(lost).toEqual([]);
  });

  it("does not keep a process alive, closed or not", async () => {
    for (const close of [true, false]) {
      const path = join(dir, `exit-${close}.db`);
      const run = runChild(`${CHILD_PRELUDE}
const db = openDatabase(${JSON.stringify(path)});
const checkpointer = WalCheckpointer.start(db, ${JSON.stringify(path)}, { intervalMs: 10 });
process.stdout.write((await checkpointer.ready()) + "\\n");
db.exec("CREATE TABLE t (x)");
if (${close}) { await checkpointer.close(); db.close(); }
`);
      const code = await Promise.race([run.exited, sleep(15_000).then(() => "still running")]);
      run.child.kill("SIGKILL");
      expect(code, `close: ${close}`).toBe(0);
      expect(run.lines[0]).toBe("thread");
    }
  });
});
