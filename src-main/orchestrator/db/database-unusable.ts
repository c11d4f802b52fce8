import { StartupRefused } from "../auth/api-token-bootstrap.js";

/**
 * Refused start: the database file cannot be used (not a database, damaged, another program's, or
 * from a newer llama-orch). The message names the file and what to do, instead of a SQLite stack.
 */
export class DatabaseUnusable extends StartupRefused {}

const WHAT_TO_DO = "stop llama-orch, move the file (with its -wal and -shm files) aside to start with an empty database, or restore it from a backup";

/** SQLite's result codes that mean the file itself is bad, with the words an operator reads. */
const REASONS: Readonly<Record<string, string>> = {
  SQLITE_NOTADB: "is not a SQLite database",
  SQLITE_CORRUPT: "is damaged (SQLite: database disk image is malformed)",
  SQLITE_CANTOPEN: "cannot be opened",
  SQLITE_READONLY: "is read-only to this user",
};

/** The refusal for a SQLite error about the database file itself; undefined for any other error. */
export function databaseFailure(err: unknown, path: string): DatabaseUnusable | undefined {
  if (err instanceof DatabaseUnusable) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return undefined;
  const reason = REASONS[code] ?? REASONS[code.replace(/_[A-Z]+$/, "")];
  if (reason === undefined) return undefined;
  return new DatabaseUnusable(`the database ${path} ${reason}: ${code === "SQLITE_READONLY" || code === "SQLITE_CANTOPEN" ? "check its owner and permissions" : WHAT_TO_DO}`);
}

export function foreignDatabase(path: string, tables: readonly string[]): DatabaseUnusable {
  const shown = tables.slice(0, 3).join(", ") + (tables.length > 3 ? ", …" : "");
  return new DatabaseUnusable(`the database ${path} is not a llama-orch database (it holds other tables: ${shown}); point --data-dir / LLORCH_DATA_DIR at a folder of its own`);
}

export function newerDatabase(path: string, version: number, known: number): DatabaseUnusable {
  return new DatabaseUnusable(`the database ${path} was written by a newer llama-orch (schema ${version}, this version knows ${known}); run that version or newer, or restore a backup made by this one`);
}
