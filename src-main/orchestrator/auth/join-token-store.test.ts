import { describe, expect, it } from "vitest";
import { tempDatabases } from "../../../test-support/temp-database.js";
import { ApiKeyStore } from "../db/api-key-store.js";
import { JoinTokenStore } from "./join-token-store.js";

const open = tempDatabases("llorch-join-spend-");

describe("spending a join token", () => {
  it("records the token spent and its key together", () => {
    const db = open();
    const tokens = new JoinTokenStore(db);
    const keys = new ApiKeyStore(db);
    const { row } = tokens.create(null, 60_000, "builtin");
    const issued = tokens.spend(row.id, "n1", () => keys.create("node n1", ["worker"], `join:${row.id}`, "n1"));
    expect(issued).not.toBeNull();
    expect(tokens.get(row.id)).toMatchObject({ used_for_node_id: "n1", key_id: issued?.row.id });
    expect(keys.get(issued?.row.id ?? "")).not.toBeNull();
    // Spent once: a second spend issues nothing.
    expect(tokens.spend(row.id, "n1", () => keys.create("again", ["worker"], "x", "n1"))).toBeNull();
  });

  // A write that fails after the token was marked spent (a full disk; a SIGKILL at that instant is the
  // same cut) left it spent with no key: the agent could neither join again nor authenticate.
  it("leaves the token unspent when issuing its key fails, so the agent can join again", () => {
    const db = open();
    const tokens = new JoinTokenStore(db);
    const keys = new ApiKeyStore(db);
    const { row } = tokens.create(null, 60_000, "builtin");
    expect(() =>
      tokens.spend(row.id, "n1", () => {
        throw Object.assign(new Error("database or disk is full"), { code: "SQLITE_FULL" });
      }),
    ).toThrow("disk is full");
    expect(tokens.get(row.id)).toMatchObject({ used_at_ms: null, key_id: null });
    expect(tokens.unspent().map((r) => r.id)).toEqual([row.id]);
    expect(tokens.spend(row.id, "n1", () => keys.create("node n1", ["worker"], `join:${row.id}`, "n1"))).not.toBeNull();
  });
});
