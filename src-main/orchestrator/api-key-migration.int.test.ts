// Keys created before scopes existed were full admin; the migration keeps them so (the column's
// default fills every existing row), and an orchestrator started on that database honours it.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startTestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { fp6, tokenDigest } from "./auth/bearer.js";
import { ApiKeyStore } from "./db/api-key-store.js";
import { openDatabase } from "./db/database.js";

const dir = mkdtempSync(join(tmpdir(), "llorch-keys-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("API keys from before scopes", () => {
  it("are admin after the migration", async () => {
    const legacyKey = `llo_${"ab".repeat(32)}`;
    const db = openDatabase(join(dir, "orchestrator.db"));
    // A row as the old code wrote it: no scopes, no creator.
    db.prepare(`INSERT INTO api_keys (id, name, digest_hex, fp6, created_at_ms, revoked_at_ms) VALUES ('legacy', 'old ci', ?, ?, 1, NULL)`).run(tokenDigest(legacyKey).toString("hex"), fp6(legacyKey));
    expect(new ApiKeyStore(db).get("legacy")).toMatchObject({ scopes: ["admin"], created_by: null });
    db.close();

    const orch = await startTestOrchestrator({}, dir);
    try {
      const res = await fetch(`${orch.url}/v2/auth/keys`, { headers: { authorization: `Bearer ${legacyKey}` } });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { keys: { id: string; scopes: string[] }[] }).keys.find((k) => k.id === "legacy")?.scopes).toEqual(["admin"]);
    } finally {
      await orch.orchestrator.close();
    }
  });
});
