// Names a node reports for one model it holds were kept for good, each new one added: a `worker` key
// reporting its one model under 1,000 fresh file names (and a fresh GGUF name) every heartbeat grew
// known_model_names by about 1 MB a beat without end (a held model is never pruned), and every
// GET /v2/catalog/models listed them all (security adversary, 2026-11-30). A model keeps at most
// MAX_NAMES_PER_MODEL names of each kind.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreatedApiKeySchema } from "../../src-shared/dashboard/api-keys.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { MAX_NAMES_PER_MODEL } from "./db/known-model-store.js";

let orch: TestOrchestrator;
let key = "";
beforeAll(async () => {
  orch = await startTestOrchestrator({ pool_probe_interval_ms: 0 });
  key = CreatedApiKeySchema.parse(await (await orch.api("/v2/auth/keys", { method: "POST", body: JSON.stringify({ name: "hostile worker", scopes: ["worker"] }) })).json()).key;
});
afterAll(async () => {
  await orch.close();
});

const post = (path: string, body: unknown) =>
  fetch(`${orch.url}${path}`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify(body) });

describe("names reported for a held model", () => {
  it("stay bounded however many fresh names a node reports beat after beat", async () => {
    const sha = createHash("sha256").update("held-model").digest("hex");
    const registration = { node_id: "namer", machine_id: "namer-host", address: "http://127.0.0.1:9", pools: ["namer-p0"], capabilities: { gpus: [], cpu_cores: 2 }, version: "test" };
    expect((await post("/v2/nodes/register", registration)).status).toBe(200);
    const beats = 10;
    for (let beat = 0; beat < beats; beat++) {
      const models = Array.from({ length: 200 }, (_, i) => ({ sha256: sha, name: `gguf-${beat}-${i}`, file_name: `file-${beat}-${i}-${"x".repeat(200)}.gguf`, size_bytes: 1, has_chat_template: false }));
      const res = await post("/v2/nodes/namer/heartbeat", { timestamp: new Date().toISOString(), pools: [], models });
      expect(res.status).toBe(200);
      await res.body?.cancel();
    }
    const res = await orch.api(`/v2/catalog/models`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { models: Array<{ sha256: string; names: string[] }> };
    const model = body.models.find((m) => m.sha256 === sha);
    expect(model).toBeDefined();
    // Without the bound: 2,000 file names and 10 GGUF names (the first of each report).
    expect(model?.names.length).toBeLessThanOrEqual(2 * MAX_NAMES_PER_MODEL + 1);
    // File names follow what the node reports now (an old one no placement lists is dropped).
    expect(model?.names).toContain(`file-${beats - 1}-0-${"x".repeat(200)}.gguf`);
    expect(model?.names).not.toContain(`file-0-0-${"x".repeat(200)}.gguf`);
  }, 60_000);
});
