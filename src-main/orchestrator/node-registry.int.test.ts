import { afterEach, describe, expect, it } from "vitest";
import type { HeartbeatRequest } from "../../src-shared/nodes/heartbeat.js";
import { NodeListResponseSchema } from "../../src-shared/nodes/node-info.js";
import type { RegisterNodeRequest } from "../../src-shared/nodes/node-registration.js";
import { CatalogAvailabilityResponseSchema } from "../../src-shared/catalog/availability.js";
import { MAX_POOLS_PER_NODE } from "../../src-shared/nodes/node-pool-limit.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { waitFor } from "../../test-support/wait-for.js";

const SHA_A = "a".repeat(64);
const SHA_B = "b".repeat(64);

// These tests speak the node API over HTTP as a worker agent would; the registry's reactions
// (status machine, metrics, persistence, availability) are what is under test.
function registration(nodeId: string): RegisterNodeRequest {
  return { node_id: nodeId, machine_id: `${nodeId}-host`, address: "http://127.0.0.1:9", pools: [`${nodeId}-p0`], capabilities: { gpus: [], cpu_cores: 2 }, version: "test" };
}
function heartbeat(nodeId: string, models: string[]): HeartbeatRequest {
  return {
    timestamp: new Date().toISOString(),
    pools: [{ pool_id: `${nodeId}-p0`, ready: true, draining: false, slots_free: 2, slots_total: 2, vram_free_bytes: 0, engine: "llamacpp", models_available: models }],
    models: models.map((sha) => ({ sha256: sha, name: `model-${sha[0]}`, file_name: `model-${sha[0]}.gguf`, size_bytes: 1000, has_chat_template: false })),
  };
}

async function metric(orch: TestOrchestrator, line: string): Promise<number> {
  const text = await (await orch.api("/metrics")).text();
  const found = text.split("\n").find((l) => l.startsWith(`${line} `));
  return found === undefined ? 0 : Number(found.slice(line.length + 1));
}

async function nodes(orch: TestOrchestrator) {
  return NodeListResponseSchema.parse(await (await orch.api("/v2/nodes")).json()).nodes;
}


let orch: TestOrchestrator | undefined;
afterEach(async () => {
  await orch?.close();
  orch = undefined;
});

describe("node registry over the node API", () => {
  it("register → Registering, heartbeat → Online, deregister → gone, each counted in its orchd_* metric", async () => {
    orch = await startTestOrchestrator({ pool_probe_interval_ms: 0 });
    expect(await metric(orch, 'orchd_node_registrations_total{outcome="success"}')).toBe(0);
    expect((await orch.api("/v2/nodes/register", { method: "POST", body: JSON.stringify(registration("n1")) })).status).toBe(200);
    expect(await metric(orch, 'orchd_node_registrations_total{outcome="success"}')).toBe(1);
    expect((await nodes(orch))[0]?.status).toBe("Registering");
    // The probe at registration hits an address with nothing listening: counted as an error.
    await waitFor("a failed pool probe counted", async () => (await metric(orch as TestOrchestrator, 'orchd_pool_health_checks_total{pool_id="n1-p0",outcome="error"}')) === 1, 5000);

    const hb = await orch.api("/v2/nodes/n1/heartbeat", { method: "POST", body: JSON.stringify(heartbeat("n1", [SHA_A])) });
    expect(await hb.json()).toEqual({ success: true, next_heartbeat_ms: 1000 });
    expect((await nodes(orch))[0]?.status).toBe("Online");
    expect(await metric(orch, 'orchd_node_heartbeats_total{node_id="n1",outcome="success"}')).toBe(1);
    expect(await metric(orch, "orchd_nodes_online")).toBe(1);
    expect(await metric(orch, 'orchd_pools_available{pool_id="n1-p0"}')).toBe(1);

    const unknown = await orch.api("/v2/nodes/ghost/heartbeat", { method: "POST", body: JSON.stringify(heartbeat("ghost", [])) });
    expect(unknown.status).toBe(404);
    // Ids nobody registered share one series (found by the fleet adversary: a series per made-up id, for good).
    expect(await metric(orch, 'orchd_node_heartbeats_total{node_id="(unregistered)",outcome="error"}')).toBe(1);
    for (let i = 0; i < 5; i++) await orch.api(`/v2/nodes/made-up-${i}/heartbeat`, { method: "POST", body: JSON.stringify(heartbeat(`made-up-${i}`, [])) });
    expect(await metric(orch, 'orchd_node_heartbeats_total{node_id="(unregistered)",outcome="error"}')).toBe(6);
    expect(await (await orch.api("/metrics")).text()).not.toMatch(/node_id="(ghost|made-up-)/);
    await fetch(`${orch.url}/v2/nodes/n1/heartbeat`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(heartbeat("n1", [])) });
    expect(await metric(orch, 'orchd_node_heartbeats_total{node_id="n1",outcome="unauthorized"}')).toBe(1);

    expect((await orch.api("/v2/nodes/n1", { method: "DELETE" })).status).toBe(204);
    expect(await metric(orch, 'orchd_node_deregistrations_total{outcome="success"}')).toBe(1);
    expect(await nodes(orch)).toEqual([]);
    expect(await metric(orch, "orchd_nodes_online")).toBe(0);
    expect((await orch.api("/v2/nodes/n1", { method: "DELETE" })).status).toBe(404);
    expect(await metric(orch, 'orchd_node_deregistrations_total{outcome="error"}')).toBe(1);
  });

  it("refuses a second live node claiming the same pool id (409) and counts the failed registration", async () => {
    orch = await startTestOrchestrator({ pool_probe_interval_ms: 0 });
    await orch.api("/v2/nodes/register", { method: "POST", body: JSON.stringify(registration("n1")) });
    const clash = await orch.api("/v2/nodes/register", { method: "POST", body: JSON.stringify({ ...registration("n2"), pools: ["n1-p0"] }) });
    expect(clash.status).toBe(409);
    expect(await clash.json()).toMatchObject({ code: "CONFLICT", message: expect.stringContaining("n1-p0") });
    expect(await metric(orch, 'orchd_node_registrations_total{outcome="error"}')).toBe(1);
    expect((await nodes(orch)).map((n) => n.node_id)).toEqual(["n1"]);
  });

  it("missed heartbeats make a node Suspect, then Offline; a heartbeat after that gets 404 and re-registering recovers it", async () => {
    orch = await startTestOrchestrator({ node_suspect_ms: 300, node_timeout_ms: 800, pool_probe_interval_ms: 0 });
    await orch.api("/v2/nodes/register", { method: "POST", body: JSON.stringify(registration("n1")) });
    await orch.api("/v2/nodes/n1/heartbeat", { method: "POST", body: JSON.stringify(heartbeat("n1", [SHA_A])) });
    await waitFor("the node Suspect", async () => (await nodes(orch as TestOrchestrator))[0]?.status === "Suspect", 3000);
    await waitFor("the node Offline", async () => (await nodes(orch as TestOrchestrator))[0]?.status === "Offline", 3000);
    expect(await metric(orch, 'orchd_pools_available{pool_id="n1-p0"}')).toBe(0);
    expect((await orch.api("/v2/nodes/n1/heartbeat", { method: "POST", body: JSON.stringify(heartbeat("n1", [SHA_A])) })).status).toBe(404);
    await orch.api("/v2/nodes/register", { method: "POST", body: JSON.stringify(registration("n1")) });
    await orch.api("/v2/nodes/n1/heartbeat", { method: "POST", body: JSON.stringify(heartbeat("n1", [SHA_A])) });
    expect((await nodes(orch))[0]?.status).toBe("Online");
  });

  it("a node that keeps heartbeating is never marked Suspect or Offline", async () => {
    orch = await startTestOrchestrator({ node_suspect_ms: 300, node_timeout_ms: 800, pool_probe_interval_ms: 0 });
    await orch.api("/v2/nodes/register", { method: "POST", body: JSON.stringify(registration("n1")) });
    const statuses = new Set<string>();
    for (let i = 0; i < 15; i++) {
      await orch.api("/v2/nodes/n1/heartbeat", { method: "POST", body: JSON.stringify(heartbeat("n1", [SHA_A])) });
      statuses.add((await nodes(orch))[0]?.status ?? "?");
      await new Promise((r) => setTimeout(r, 100));
    }
    expect([...statuses]).toEqual(["Online"]);
  });

  it("known nodes survive an orchestrator restart (listed Offline until they re-register)", async () => {
    orch = await startTestOrchestrator({ pool_probe_interval_ms: 0 });
    await orch.api("/v2/nodes/register", { method: "POST", body: JSON.stringify(registration("n1")) });
    await orch.api("/v2/nodes/n1/heartbeat", { method: "POST", body: JSON.stringify(heartbeat("n1", [SHA_A])) });
    await orch.restart();
    const after = await nodes(orch);
    expect(after.map((n) => [n.node_id, n.status])).toEqual([["n1", "Offline"]]);
    expect(after[0]?.models.map((m) => m.sha256)).toEqual([SHA_A]);
    expect((await orch.api("/v2/nodes/n1/heartbeat", { method: "POST", body: JSON.stringify(heartbeat("n1", [SHA_A])) })).status).toBe(404);
  });

  it("availability lists replicated and single-node models by sha256 with their holders", async () => {
    orch = await startTestOrchestrator({ pool_probe_interval_ms: 0 });
    for (const [id, models] of [["n1", [SHA_A, SHA_B]], ["n2", [SHA_A]]] as const) {
      await orch.api("/v2/nodes/register", { method: "POST", body: JSON.stringify(registration(id)) });
      await orch.api(`/v2/nodes/${id}/heartbeat`, { method: "POST", body: JSON.stringify(heartbeat(id, [...models])) });
    }
    const availability = CatalogAvailabilityResponseSchema.parse(await (await orch.api("/v2/catalog/availability")).json());
    expect(availability.total_models).toBe(2);
    expect(availability.replicated_models).toEqual([SHA_A]);
    expect(availability.single_node_models).toEqual([SHA_B]);
    expect(availability.models.find((m) => m.sha256 === SHA_B)?.nodes).toEqual(["n1"]);
    expect(availability.nodes.n2?.models).toEqual([SHA_A]);
    const models = (await (await orch.api("/v1/models")).json()) as { data: { id: string }[] };
    expect(models.data.map((m) => m.id)).toEqual(["model-a", "model-b"]);
  });
  it("a node sending new pool ids in every heartbeat holds only what it registered and reports now; too many or repeated pool ids are refused", async () => {
    // Found by a hostile fleet: 5,000 new pool ids per heartbeat piled up in the registry (never released),
    // each heartbeat scanned them all (2 s per beat after 40) and the probes and gauges of 200,000 pools
    // ran the orchestrator out of heap within a minute.
    orch = await startTestOrchestrator({ pool_probe_interval_ms: 0 });
    expect((await orch.api("/v2/nodes/register", { method: "POST", body: JSON.stringify(registration("n1")) })).status).toBe(200);
    const snapshot = (poolId: string) => ({ ...heartbeat("n1", [SHA_A]).pools[0], pool_id: poolId });
    for (let round = 0; round < 5; round++) {
      const pools = ["n1-p0", ...Array.from({ length: 3 }, (_, i) => `n1-r${round}-${i}`)].map(snapshot);
      const beat = await orch.api("/v2/nodes/n1/heartbeat", { method: "POST", body: JSON.stringify({ ...heartbeat("n1", [SHA_A]), pools }) });
      expect(beat.status).toBe(200);
    }
    const [node] = await nodes(orch);
    expect(node?.pool_ids.toSorted()).toEqual(["n1-p0", "n1-r4-0", "n1-r4-1", "n1-r4-2"]);
    // A released id is free again for another node.
    await orch.api("/v2/nodes/register", { method: "POST", body: JSON.stringify({ ...registration("n2"), pools: ["n1-r0-0"] }) }).then((r) => expect(r.status).toBe(200));

    const tooMany = Array.from({ length: MAX_POOLS_PER_NODE + 1 }, (_, i) => `n1-x${i}`);
    const refusedBeat = await orch.api("/v2/nodes/n1/heartbeat", { method: "POST", body: JSON.stringify({ ...heartbeat("n1", [SHA_A]), pools: tooMany.map(snapshot) }) });
    expect(refusedBeat.status).toBe(400);
    expect(((await refusedBeat.json()) as { code: string }).code).toBe("INVALID_PARAMS");
    expect((await orch.api("/v2/nodes/register", { method: "POST", body: JSON.stringify({ ...registration("n1"), pools: tooMany }) })).status).toBe(400);
    const twice = await orch.api("/v2/nodes/n1/heartbeat", { method: "POST", body: JSON.stringify({ ...heartbeat("n1", [SHA_A]), pools: [snapshot("n1-p0"), snapshot("n1-p0")] }) });
    expect(twice.status).toBe(400);
    expect(JSON.stringify(await twice.json())).toContain("appears twice");
    expect((await orch.api("/v2/nodes/register", { method: "POST", body: JSON.stringify({ ...registration("n1"), pools: ["n1-p0", "n1-p0"] }) })).status).toBe(400);
    // Nothing refused changed the node.
    expect((await nodes(orch)).find((n) => n.node_id === "n1")?.pool_ids.toSorted()).toEqual(["n1-p0", "n1-r4-0", "n1-r4-1", "n1-r4-2"]);
  });
  it("drops the probe series of pools no node serves any more, so re-registering with new pool ids adds no series for good", async () => {
    orch = await startTestOrchestrator({ pool_probe_interval_ms: 0 });
    const register = (round: number) => orch?.api("/v2/nodes/register", { method: "POST", body: JSON.stringify({ ...registration("n1"), pools: [0, 1, 2].map((i) => `n1-r${round}-${i}`) }) });
    const probed = async (round: number) => ((await (await (orch as TestOrchestrator).api("/metrics")).text()).match(new RegExp(`orchd_pool_health_checks_total\\{pool_id="n1-r${round}-`, "g")) ?? []).length;
    expect((await register(0))?.status).toBe(200);
    // The probe at registration hits an address with nothing listening: one error series per pool.
    await waitFor("the first pools probed", async () => (await probed(0)) === 3, 5000);
    for (let round = 1; round <= 3; round++) expect((await register(round))?.status).toBe(200);
    await waitFor("the last pools probed", async () => (await probed(3)) === 3, 5000);
    expect([await probed(0), await probed(1), await probed(2)]).toEqual([0, 0, 0]);
    expect(await (await orch.api("/metrics")).text()).not.toMatch(/orchd_pool_health_check_duration_ms_count\{pool_id="n1-r[012]-/);
  });
});
