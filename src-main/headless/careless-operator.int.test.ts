import { execFileSync } from "node:child_process";
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "libsql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../orchestrator/db/database.js";
import { freePort, startHeadlessOrchestrator } from "../../test-support/headless-process.js";
import { runCommand, type CommandResult } from "../../test-support/run-command.js";

// The careless operator: a second orchestrator started on a data dir one already runs on, a data dir
// holding a file that is not our database (random bytes, another program's SQLite file, one from a
// newer version, a damaged one), a config file with a typo or of the wrong shape. Each must stop with a
// one-line error naming what is wrong and a non-zero exit — never a stack trace, never a start on it.
const TOKEN = "careless-token-0123456789abcdef0123456789abcdef";
let root: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "llorch-careless-"));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function orchestrator(args: string[]): Promise<CommandResult> {
  return runCommand(process.execPath, ["dist/src-main/headless/cli.js", ...args, "--bind", "127.0.0.1:0"], {
    env: { PATH: process.env.PATH, HOME: root, LLORCH_API_TOKEN: TOKEN, LLORCH_LOG_LEVEL: "silent" },
    timeoutMs: 30_000,
  });
}

/** Refused with exit code `code` and one stderr line matching `says`, with no stack frame anywhere. */
function expectRefused(run: CommandResult, code: number, says: RegExp): void {
  expect(run.code, `${run.stderr}${run.stdout}`).toBe(code);
  const lines = run.stderr.trim().split("\n");
  expect(lines, run.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(says);
  expect(`${run.stdout}${run.stderr}`).not.toMatch(/\n\s+at /);
  expect(run.stdout).not.toContain("Dashboard:");
}

describe("two orchestrators on one data dir", () => {
  it("the second is refused, naming the dir and the running one's pid; once that one is SIGKILLed it starts", async () => {
    const dataDir = join(root, "shared dir ü");
    const first = await startHeadlessOrchestrator({ port: await freePort(), dataDir, token: TOKEN });
    try {
      const second = await orchestrator(["--data-dir", dataDir]);
      expectRefused(second, 3, new RegExp(`^llama-orch: the data dir ${dataDir} is in use by another running llama-orch \\(pid ${first.pid}\\)`));
    } finally {
      await first.kill("SIGKILL");
    }
    // The kernel drops the lock with the process: no stale lock after a crash.
    const again = await startHeadlessOrchestrator({ port: await freePort(), dataDir, token: TOKEN });
    await again.kill("SIGTERM");
  }, 90_000);
});

describe("a lock file that is not ours", () => {
  it("garbage where orchestrator.lock belongs: refused naming it (was 'unexpected error: file is not a database')", async () => {
    const dir = join(root, "garbage-lock");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "orchestrator.lock"), Buffer.alloc(8192, 0x42));
    expectRefused(await orchestrator(["--data-dir", dir]), 3, new RegExp(`^llama-orch: cannot take the lock file ${join(dir, "orchestrator.lock")} \\(file is not a database\\): it is not one llama-orch wrote`));
  }, 30_000);
});

describe("a database file that is not ours", () => {
  const dirWith = (name: string, write: (db: string) => void): string => {
    const dir = join(root, name);
    mkdirSync(dir, { recursive: true });
    write(join(dir, "orchestrator.db"));
    return dir;
  };

  it("random bytes or text: refused as not a SQLite database", async () => {
    const bytes = dirWith("bytes", (p) => writeFileSync(p, Buffer.alloc(65_536, 0x5a)));
    expectRefused(await orchestrator(["--data-dir", bytes]), 3, new RegExp(`the database ${join(bytes, "orchestrator.db")} is not a SQLite database: .*move the file`));
    const text = dirWith("text", (p) => writeFileSync(p, "name,value\na,1\n"));
    expectRefused(await orchestrator(["--data-dir", text]), 3, /is not a SQLite database/);
  }, 60_000);

  it("another program's SQLite database: refused, and left as it was (no tables of ours mixed in)", async () => {
    const dir = dirWith("foreign", (p) => {
      const db = new Database(p);
      db.exec("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL); INSERT INTO invoices (total) VALUES (9.5);");
      db.close();
    });
    expectRefused(await orchestrator(["--data-dir", dir]), 3, /is not a llama-orch database \(it holds other tables: invoices\)/);
    const db = new Database(join(dir, "orchestrator.db"));
    expect((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name)).toEqual(["invoices"]);
    db.close();
  }, 60_000);

  it("one written by a newer llama-orch: refused, naming both schema versions", async () => {
    const dir = dirWith("newer", (p) => {
      openDatabase(p).close();
      const db = new Database(p);
      db.pragma("user_version = 999");
      db.close();
    });
    expectRefused(await orchestrator(["--data-dir", dir]), 3, /was written by a newer llama-orch \(schema 999, this version knows \d+\)/);
  }, 60_000);

  it("one damaged on disk (every page after the schema overwritten): refused as damaged", async () => {
    const dir = dirWith("damaged", (p) => {
      const db = openDatabase(p);
      db.pragma("wal_checkpoint(TRUNCATE)");
      db.close();
      const size = statSync(p).size;
      const fd = openSync(p, "r+");
      writeSync(fd, Buffer.alloc(size - 4096, 0xa5), 0, size - 4096, 4096);
      closeSync(fd);
    });
    expectRefused(await orchestrator(["--data-dir", dir]), 3, new RegExp(`the database ${join(dir, "orchestrator.db")} is damaged`));
  }, 60_000);
});

describe("a config file with mistakes", () => {
  it("a misspelt key is named, with the key it most likely meant", async () => {
    const file = join(root, "typo.json");
    writeFileSync(file, JSON.stringify({ admision_capacity: 5 }));
    expectRefused(await orchestrator(["--config", file, "--data-dir", join(root, "cfg")]), 2, new RegExp(`config file ${file} key "admision_capacity" is not a setting \\(did you mean "admission_capacity"\\?\\)`));
  }, 30_000);

  it("a file that is not an object of settings says what it got, in one line", async () => {
    const file = join(root, "list.json");
    writeFileSync(file, "[1, 2]");
    expectRefused(await orchestrator(["--config", file, "--data-dir", join(root, "cfg")]), 2, /expected a JSON object of settings .*got an array/);
  }, 30_000);
});

describe("join-token and selftest pointed at the wrong place", () => {
  it("say that nothing listens there, or that what answers is not an orchestrator, in one line", async () => {
    const web = createServer((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end("<!DOCTYPE html><p>hello</p>"));
    await new Promise<void>((r) => web.listen(0, "127.0.0.1", () => r()));
    const webUrl = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
    try {
      for (const sub of ["join-token", "selftest"]) {
        const args = sub === "join-token" ? ["join-token", "list"] : ["selftest"];
        expectRefused(await orchestrator([...args, "--url", webUrl, "--data-dir", join(root, "cfg")]), 1, new RegExp(`^llama-orch ${sub}: cannot reach the orchestrator at ${webUrl}: something answers there, but not a llama-orch orchestrator`));
        const closed = await freePort();
        expectRefused(await orchestrator([...args, "--url", `http://127.0.0.1:${closed}`, "--data-dir", join(root, "cfg")]), 1, /nothing listens there \(ECONNREFUSED\)/);
      }
    } finally {
      await new Promise((r) => web.close(r));
    }
  }, 60_000);
});

describe("a data dir the process cannot write", () => {
  // Root ignores mode bits: a read-only tmpfs then; anyone else: a 0500 folder.
  let readOnly: string | null = null;
  let mounted = false;
  beforeAll(() => {
    const dir = join(root, "read-only");
    mkdirSync(dir, { recursive: true });
    if (process.getuid?.() === 0) {
      try {
        execFileSync("mount", ["-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", dir], { stdio: "ignore" });
        mounted = true;
        readOnly = dir;
      } catch {
        readOnly = null;
      }
    } else {
      chmodSync(dir, 0o500);
      readOnly = dir;
    }
  });
  afterAll(() => {
    if (mounted) execFileSync("umount", ["-l", join(root, "read-only")], { stdio: "ignore" });
    else chmodSync(join(root, "read-only"), 0o700);
  });

  it("the orchestrator and the worker each say which folder and why, in one line (the worker printed a stack trace)", async (ctx) => {
    if (readOnly === null) return ctx.skip();
    expectRefused(await orchestrator(["--data-dir", readOnly]), 1, new RegExp(`^llama-orch: cannot use ${readOnly} \\(access: (the file system is read-only, EROFS|permission denied, EACCES)\\)`));
    const worker = await runCommand(process.execPath, ["dist/worker-agent/cli.js", "start", "--bind", "127.0.0.1:0", "--data-dir", readOnly, "--models-dir", join(root, "models"), "--log-level", "silent"], {
      env: { PATH: process.env.PATH, HOME: root },
      timeoutMs: 30_000,
    });
    expectRefused(worker, 1, new RegExp(`^llama-orch-worker: cannot use ${readOnly}/\\S+ \\(\\w+: (the file system is read-only, EROFS|permission denied, EACCES)\\)`));
  }, 60_000);
});
