import type { Db } from "./database.js";

/**
 * Runs `fn` in one transaction and returns its result. libsql's own `db.transaction()` answers a
 * failed statement with a ROLLBACK that itself throws ("cannot rollback - no transaction is active")
 * when SQLite has already rolled back on its own, as it does on a full disk (SQLITE_FULL) or an I/O
 * error: the real error was lost, and a caller in a timer took the process down with it. Here only a
 * transaction that is still open is rolled back, and the statement's own error is what is thrown.
 */
export function inTransaction<T>(db: Db, fn: () => T): T {
  // Inside another transaction: a savepoint, so the outer one can make several writers' changes one commit.
  if (db.inTransaction) return inSavepoint(db, fn);
  db.exec("BEGIN");
  try {
    const result = fn();
    db.exec("COMMIT");
    return result;
  } catch (err) {
    if (db.inTransaction) {
      try {
        db.exec("ROLLBACK");
      } catch {
        // The statement's error below is the one that explains what happened.
      }
    }
    throw err;
  }
}

let savepoints = 0;

/** `fn` inside the open transaction: its changes are undone alone when it throws, committed with the outer one. */
function inSavepoint<T>(db: Db, fn: () => T): T {
  const name = `nested_${++savepoints}`;
  db.exec(`SAVEPOINT ${name}`);
  try {
    const result = fn();
    db.exec(`RELEASE ${name}`);
    return result;
  } catch (err) {
    if (db.inTransaction) {
      try {
        db.exec(`ROLLBACK TO ${name}`);
        db.exec(`RELEASE ${name}`);
      } catch {
        // As above: the statement's own error is the one thrown.
      }
    }
    throw err;
  }
}
