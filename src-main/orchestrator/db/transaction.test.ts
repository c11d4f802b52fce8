import { describe, expect, it } from "vitest";
import { openDatabase } from "./database.js";
import { inTransaction } from "./transaction.js";

// Writers that each use a transaction can be made one commit by an outer one (the restart's recovery:
// the journal ends interrupted tasks and their keys are charged together, or neither).
describe("inTransaction", () => {
  const rows = (db: ReturnType<typeof openDatabase>) => (db.prepare(`SELECT key FROM settings ORDER BY key`).all() as { key: string }[]).map((r) => r.key);
  const put = (db: ReturnType<typeof openDatabase>, key: string) => db.prepare(`INSERT INTO settings (key, value_json) VALUES (?, '{}')`).run(key);

  it("nested: the inner one's changes commit with the outer one; a failing inner one is undone alone", () => {
    const db = openDatabase(":memory:");
    inTransaction(db, () => {
      put(db, "outer");
      inTransaction(db, () => put(db, "inner"));
      expect(() =>
        inTransaction(db, () => {
          put(db, "undone");
          throw new Error("inner failure");
        }),
      ).toThrow("inner failure");
      expect(db.inTransaction).toBe(true);
    });
    expect(rows(db)).toEqual(["inner", "outer"]);
    expect(db.inTransaction).toBe(false);
  });

  it("an outer failure undoes what the inner ones wrote", () => {
    const db = openDatabase(":memory:");
    expect(() =>
      inTransaction(db, () => {
        inTransaction(db, () => put(db, "inner"));
        put(db, "inner"); // unique key: fails
      }),
    ).toThrow();
    expect(rows(db)).toEqual([]);
    expect(db.inTransaction).toBe(false);
  });
});
