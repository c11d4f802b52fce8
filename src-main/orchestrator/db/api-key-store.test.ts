import { describe, expect, it } from "vitest";
import { tempDatabases } from "../../../test-support/temp-database.js";
import { ApiKeyStore } from "./api-key-store.js";
import type { Db } from "./database.js";

// The node binding of a key, asked on every heartbeat of a joined worker, comes from memory after the
// first lookup: the same answers as the stored rows give, for keys created here, keys found in the
// store (created by an earlier process), keys bound to no node, revoked keys and unknown ids.

const openDb = tempDatabases("llorch-keys-");

function open(): { store: () => ApiKeyStore; db: Db } {
  const handle = openDb();
  return { store: () => new ApiKeyStore(handle), db: handle };
}

describe("ApiKeyStore.boundNodeOf", () => {
  it("answers the node a key is bound to, as its row says, for keys created here and keys already stored", () => {
    const { store } = open();
    const first = store();
    const joined = first.create("node n1 (join)", ["worker"], "admin", "n1").row;
    const plain = first.create("client", ["inference"], "admin").row;
    expect(first.boundNodeOf(joined.id)).toBe("n1");
    expect(first.boundNodeOf(plain.id)).toBeNull();
    expect(first.boundNodeOf("no-such-key")).toBeNull();
    // A later process (a new store on the same database) finds the bindings in the rows.
    const second = store();
    expect(second.boundNodeOf(joined.id)).toBe("n1");
    expect(second.boundNodeOf(joined.id)).toBe(second.get(joined.id)?.node_id);
    expect(second.boundNodeOf(plain.id)).toBeNull();
  });

  it("keeps a revoked key's binding (it no longer authenticates, but stays bound), and remembers no unknown id", () => {
    const { store, db: handle } = open();
    const keys = store();
    const joined = keys.create("node n2 (join)", ["worker"], "admin", "n2").row;
    expect(keys.revoke(joined.id)?.revoked_at_ms).not.toBeNull();
    expect(keys.boundNodeOf(joined.id)).toBe("n2");
    expect(keys.boundNodeOf("later-key")).toBeNull();
    // A row that appears afterwards (written by another store on the database) is found: misses are not cached.
    handle.prepare(`INSERT INTO api_keys (id, name, digest_hex, fp6, created_at_ms, revoked_at_ms, scopes_json, created_by, node_id) VALUES ('later-key', 'x', ?, 'abcdef', 1, NULL, '["worker"]', 'admin', 'n3')`).run("0".repeat(64));
    expect(keys.boundNodeOf("later-key")).toBe("n3");
  });
});
