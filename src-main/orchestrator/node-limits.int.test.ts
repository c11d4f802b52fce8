// One API key cannot fill the node registry: at most max_nodes_per_key node ids per key and
// max_nodes in all. Before, one `worker` key registered any number of ids, each kept (with its
// history) until an admin forgot it. Re-registering ids a key already has, after a restart too,
// is never limited; another key still cannot take them over.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreatedApiKeySchema } from "../../src-shared/dashboard/api-keys.js";
import { ErrorEnvelopeSchema } from "../../src-shared/errors/error-envelope.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";

let orch: TestOrchestrator;
let keyA = "";
let keyB = "";
beforeAll(async () => {
  orch = await startTestOrchestrator({ pool_probe_interval_ms: 0, max_nodes_per_key: 3, max_nodes: 6 });
  const create = async (name: string) => CreatedApiKeySchema.parse(await (await orch.api("/v2/auth/keys", { method: "POST", body: JSON.stringify({ name, scopes: ["worker"] }) })).json()).key;
  keyA = await create("worker A");
  keyB = await create("worker B");
});
afterAll(async () => {
  await orch.close();
});

// Unreachable addresses: the limit is about ids, nothing is called back.
const registration = (nodeId: string) => ({ node_id: nodeId, machine_id: `${nodeId}-host`, address: "http://127.0.0.1:9", pools: [`${nodeId}-p0`], capabilities: { gpus: [], cpu_cores: 2 }, version: "test" });

function register(key: string | null, nodeId: string) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (key !== null) headers["authorization"] = `Bearer ${key}`;
  return key === null ? orch.api("/v2/nodes/register", { method: "POST", body: JSON.stringify(registration(nodeId)) }) : fetch(`${orch.url}/v2/nodes/register`, { method: "POST", headers, body: JSON.stringify(registration(nodeId)) });
}

async function refusal(res: Response): Promise<{ status: number; code: string; reason: unknown }> {
  const envelope = ErrorEnvelopeSchema.parse(await res.json());
  return { status: res.status, code: envelope.code, reason: envelope.details?.["reason"] };
}

describe("node registry limits", () => {
  it("refuses a key's fourth node id with 409 node_limit_per_key, logged a few times, not once per attempt", async () => {
    for (const id of ["a1", "a2", "a3"]) expect((await register(keyA, id)).status).toBe(200);
    for (let i = 0; i < 20; i++) expect(await refusal(await register(keyA, `a-extra-${i}`))).toEqual({ status: 409, code: "CONFLICT", reason: "node_limit_per_key" });
    // Its own ids stay registrable (an agent restarting), and another key cannot take them.
    expect((await register(keyA, "a2")).status).toBe(200);
    expect(await refusal(await register(keyB, "a2"))).toMatchObject({ status: 409, reason: "node_owned_by_other_credential" });
    const lines = orch.logs.filter((l) => l.includes("node registration refused: limit reached"));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThanOrEqual(5);
    const metrics = await (await orch.api("/metrics")).text();
    expect(Number(/orchd_node_registrations_total\{outcome="error"\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(20);
    const nodes = (await (await orch.api("/v2/nodes")).json()) as { count: number };
    expect(nodes.count).toBe(3);
  });

  it("keeps counting after a restart: the key re-registers its ids, and still no more", async () => {
    await orch.restart();
    for (const id of ["a1", "a2", "a3"]) expect((await register(keyA, id)).status).toBe(200);
    expect(await refusal(await register(keyA, "a4"))).toMatchObject({ status: 409, reason: "node_limit_per_key" });
    // Deregistering one frees its place.
    expect((await fetch(`${orch.url}/v2/nodes/a3`, { method: "DELETE", headers: { authorization: `Bearer ${keyA}` } })).status).toBe(204);
    expect((await register(keyA, "a4")).status).toBe(200);
  });

  it("refuses new ids from anyone once the registry holds max_nodes, with 409 node_registry_full", async () => {
    for (const id of ["b1", "b2"]) expect((await register(keyB, id)).status).toBe(200);
    expect((await register(null, "op1")).status).toBe(200);
    // a1, a2, a4, b1, b2, op1: six ids, the registry's limit.
    expect(await refusal(await register(null, "op2"))).toEqual({ status: 409, code: "CONFLICT", reason: "node_registry_full" });
    expect(await refusal(await register(keyB, "b3"))).toMatchObject({ status: 409, reason: "node_registry_full" });
    expect((await register(null, "op1")).status).toBe(200);
    expect((await orch.api("/v2/nodes/b2/forget", { method: "POST" })).status).toBe(204);
    expect((await register(null, "op2")).status).toBe(200);
  });

  it("takes at most 1,024 models from a node's report (400 past it), so made-up inventories cannot flood the catalog", async () => {
    const models = (n: number, tag: string) => Array.from({ length: n }, (_, i) => ({ sha256: createHash("sha256").update(`${tag}-${i}`).digest("hex"), name: `${tag}-${i}`, file_name: `${tag}-${i}.gguf`, size_bytes: 1, has_chat_template: false }));
    const heartbeat = (list: unknown[]) => fetch(`${orch.url}/v2/nodes/a1/heartbeat`, { method: "POST", headers: { authorization: `Bearer ${keyA}`, "content-type": "application/json" }, body: JSON.stringify({ timestamp: new Date().toISOString(), pools: [], models: list }) });
    const over = await heartbeat(models(1025, "over"));
    expect(over.status).toBe(400);
    expect(ErrorEnvelopeSchema.parse(await over.json()).code).toBe("INVALID_PARAMS");
    const registerOver = await fetch(`${orch.url}/v2/nodes/register`, { method: "POST", headers: { authorization: `Bearer ${keyA}`, "content-type": "application/json" }, body: JSON.stringify({ ...registration("a1"), models: models(1025, "over") }) });
    expect(registerOver.status).toBe(400);
    expect((await register(keyA, "a1")).status).toBe(200);
    expect((await heartbeat(models(1024, "ok"))).status).toBe(200);
    const catalog = (await (await orch.api("/v2/catalog/models")).json()) as { models: { sha256: string | null }[] };
    expect(catalog.models.filter((m) => m.sha256 !== null).length).toBe(1024);
  });

  it("refuses the node id of the orchestrator's own store (control-plane), which staging treats as the store", async () => {
    for (const nodeId of ["control-plane", "CONTROL-PLANE"]) {
      const res = await register(keyB, nodeId);
      expect(res.status).toBe(400);
      expect(ErrorEnvelopeSchema.parse(await res.json()).details?.["reason"]).toBe("reserved_node_id");
    }
  });

  it("logs refusals of another key's node a few times a minute, not once per request", async () => {
    const before = orch.logs.filter((l) => l.includes("node operation refused")).length;
    for (let i = 0; i < 30; i++) {
      const res = await fetch(`${orch.url}/v2/nodes/a1/heartbeat`, { method: "POST", headers: { authorization: `Bearer ${keyB}`, "content-type": "application/json" }, body: JSON.stringify({ timestamp: new Date().toISOString(), pools: [] }) });
      expect(res.status).toBe(409);
    }
    const lines = orch.logs.filter((l) => l.includes("node operation refused")).length - before;
    expect(lines).toBeGreaterThan(0);
    expect(lines).toBeLessThanOrEqual(5);
  });
});
