// The catalog by sha256 stays bounded: models no registered node holds are forgotten past the newest
// MAX_UNHELD_MODELS. Before, every sha256 any node ever reported stayed: one worker key reporting
// 3,000 made-up models per heartbeat left 60,000 entries after 20 heartbeats.
import { describe, expect, it } from "vitest";
import { tempDatabases } from "../../../test-support/temp-database.js";
import type { ModelInventoryEntry } from "../../../src-shared/models/model-inventory.js";
import { KnownModelStore } from "./known-model-store.js";
import { NodeStore } from "./node-store.js";

const openDb = tempDatabases("llorch-known-models-");

const model = (round: number, i: number): ModelInventoryEntry => ({ sha256: `${String(round).padStart(4, "0")}${String(i).padStart(60, "0")}`, name: `m${round}-${i}`, file_name: `m${round}-${i}.gguf`, size_bytes: 1, has_chat_template: false });
const count = (db: ReturnType<typeof openDb>, table: string) => (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;

describe("known models", () => {
  it("forget all but the newest unheld models; every model a registered node holds stays", () => {
    const db = openDb();
    new NodeStore(db).save({ node_id: "n1", machine_id: "m", address: "http://127.0.0.1:9", version: null, capabilities: { gpus: [], cpu_cores: 1 }, pool_ids: [], pools: [], models: [], status: "Online", eligibility: "eligible", registered_at_ms: 0, last_heartbeat_ms: 0, owner: "key:k" });
    const store = new KnownModelStore(db, undefined, 50);
    // A node that reports 100 new models each time: the earlier ones become absent.
    for (let round = 0; round < 20; round++) {
      store.recordInventory("n1", Array.from({ length: 100 }, (_, i) => model(round, i)), 1000 + round);
      store.pruneUnheld();
    }
    // Held now: round 19's 100; unheld kept: the 50 most recent of the rest.
    expect(count(db, "known_models")).toBe(150);
    expect(store.list().filter((m) => m.sha256.startsWith("0019"))).toHaveLength(100);
    expect(count(db, "known_model_names")).toBe(300);
    expect(count(db, "model_placements")).toBe(150);
  });

  it("counts models only an unregistered node (deregistered, forgotten) reported as unheld", () => {
    const db = openDb();
    const store = new KnownModelStore(db, undefined, 10);
    for (let node = 0; node < 5; node++) store.recordInventory(`gone-${node}`, Array.from({ length: 10 }, (_, i) => model(node, i)), 1000 + node);
    expect(store.pruneUnheld()).toBe(40);
    expect(store.list().map((m) => m.sha256.slice(0, 4))).toEqual(Array.from({ length: 10 }, () => "0004"));
  });
});
