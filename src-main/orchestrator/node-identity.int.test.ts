// Node identity: a node is bound to the credential that first registered it. Another credential,
// even a valid worker or admin one, cannot re-register it (e.g. with its own address, to receive
// its tasks and prompts), heartbeat it or deregister it; an admin must forget the node first.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreatedApiKeySchema } from "../../src-shared/dashboard/api-keys.js";
import { NodeDetailSchema } from "../../src-shared/dashboard/cluster-events.js";
import { ErrorEnvelopeSchema } from "../../src-shared/errors/error-envelope.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { waitFor } from "../../test-support/wait-for.js";

let orch: TestOrchestrator;
let keyA = "";
let keyB = "";
beforeAll(async () => {
  orch = await startTestOrchestrator({ pool_probe_interval_ms: 0 });
  const create = async (name: string) => CreatedApiKeySchema.parse(await (await orch.api("/v2/auth/keys", { method: "POST", body: JSON.stringify({ name, scopes: ["worker"] }) })).json()).key;
  keyA = await create("worker A");
  keyB = await create("worker B");
});
afterAll(async () => {
  await orch.close();
});

const registration = (nodeId: string, address: string) => ({ node_id: nodeId, machine_id: `${nodeId}-host`, address, pools: [`${nodeId}-p0`], capabilities: { gpus: [], cpu_cores: 2 }, version: "test" });
const heartbeat = { timestamp: new Date().toISOString(), pools: [] };

function as(key: string) {
  return (path: string, method: string, body?: unknown) =>
    fetch(`${orch.url}${path}`, { method, headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
}

async function codeOf(res: Response): Promise<string> {
  return ErrorEnvelopeSchema.parse(await res.json()).code;
}

async function node(id: string) {
  return NodeDetailSchema.parse(await (await orch.api(`/v2/nodes/${id}`)).json());
}

describe("node identity", () => {
  it("refuses another credential re-registering a live node with its own address (409), and keeps the real address", async () => {
    const a = as(keyA);
    const b = as(keyB);
    expect((await a("/v2/nodes/register", "POST", registration("w1", "http://127.0.0.1:9101"))).status).toBe(200);
    expect((await a("/v2/nodes/w1/heartbeat", "POST", heartbeat)).status).toBe(200);

    const hijack = await b("/v2/nodes/register", "POST", registration("w1", "http://127.0.0.1:9666"));
    expect(hijack.status).toBe(409);
    expect(await codeOf(hijack)).toBe("CONFLICT");
    // The operator's own token is not a way around it either: replacing a node is an explicit forget.
    expect((await orch.api("/v2/nodes/register", { method: "POST", body: JSON.stringify(registration("w1", "http://127.0.0.1:9667")) })).status).toBe(409);

    const detail = await node("w1");
    expect(detail.address).toBe("http://127.0.0.1:9101");
    expect(detail.events.some((e) => e.kind === "refused")).toBe(true);
    // The real w1 keeps heartbeating undisturbed; the other key cannot heartbeat or deregister it.
    expect((await a("/v2/nodes/w1/heartbeat", "POST", heartbeat)).status).toBe(200);
    expect((await b("/v2/nodes/w1/heartbeat", "POST", heartbeat)).status).toBe(409);
    expect((await b("/v2/nodes/w1", "DELETE")).status).toBe(409);
    expect((await node("w1")).status).toBe("Online");
    // The owner may move its own node.
    expect((await a("/v2/nodes/register", "POST", registration("w1", "http://127.0.0.1:9102"))).status).toBe(200);
    expect((await node("w1")).address).toBe("http://127.0.0.1:9102");
  });

  it("records refusals in the audit log, at most once a minute per node", async () => {
    const b = as(keyB);
    for (let i = 0; i < 5; i++) expect((await b("/v2/nodes/w1/heartbeat", "POST", heartbeat)).status).toBe(409);
    const refusals = orch.orchestrator.auditTrail(1000).filter((e) => e.target === "w1" && e.outcome === "denied");
    expect(refusals.length).toBeGreaterThanOrEqual(1);
    expect(refusals.length).toBeLessThanOrEqual(2);
    expect((await node("w1")).events.filter((e) => e.kind === "refused").length).toBe(1);
  });

  it("keeps the binding across an orchestrator restart", async () => {
    await orch.restart();
    expect((await as(keyB)("/v2/nodes/register", "POST", registration("w1", "http://127.0.0.1:9666"))).status).toBe(409);
    expect((await as(keyA)("/v2/nodes/register", "POST", registration("w1", "http://127.0.0.1:9102"))).status).toBe(200);
  });

  it("a worker key cannot read or operate the cluster, and cannot forget nodes", async () => {
    const b = as(keyB);
    expect((await b("/v2/nodes", "GET")).status).toBe(403);
    expect((await b("/v2/nodes/w1/drain", "POST")).status).toBe(403);
    expect((await b("/v2/nodes/w1/forget", "POST")).status).toBe(403);
  });

  it("an admin forget releases the id: then another credential may register it, and the old one is refused", async () => {
    expect((await orch.api("/v2/nodes/w1/forget", { method: "POST" })).status).toBe(204);
    expect((await orch.api("/v2/nodes/w1/forget", { method: "POST" })).status).toBe(404);
    expect((await as(keyB)("/v2/nodes/register", "POST", registration("w1", "http://127.0.0.1:9201"))).status).toBe(200);
    expect((await as(keyA)("/v2/nodes/w1/heartbeat", "POST", heartbeat)).status).toBe(409);
    expect((await node("w1")).address).toBe("http://127.0.0.1:9201");
    expect(orch.orchestrator.auditTrail(100).some((e) => e.action === "node_forgotten" && e.target === "w1")).toBe(true);
  });

  it("the owner deregisters its own node", async () => {
    expect((await as(keyB)("/v2/nodes/w1", "DELETE")).status).toBe(204);
    expect((await orch.api("/v2/nodes/w1")).status).toBe(404);
  });

  it("keeps an Offline node's pool ids from another credential: no takeover while it is down, and it comes back", async () => {
    const a = as(keyA);
    const b = as(keyB);
    expect((await a("/v2/nodes/register", "POST", { ...registration("down1", "http://127.0.0.1:9111"), pools: ["shared-pool"] })).status).toBe(200);
    await waitFor("down1 offline (no heartbeats)", async () => (await node("down1")).status === "Offline", 20_000, 200);
    const takeover = await b("/v2/nodes/register", "POST", { ...registration("thief1", "http://127.0.0.1:9666"), pools: ["shared-pool"] });
    expect(takeover.status).toBe(409);
    expect(await codeOf(takeover)).toBe("CONFLICT");
    // The real node re-registers with its pool.
    expect((await a("/v2/nodes/register", "POST", { ...registration("down1", "http://127.0.0.1:9111"), pools: ["shared-pool"] })).status).toBe(200);
    // The same credential may move a pool between its own nodes once the first is down.
    expect((await a("/v2/nodes/register", "POST", { ...registration("down2", "http://127.0.0.1:9112"), pools: ["moving-pool"] })).status).toBe(200);
    await waitFor("down2 offline", async () => (await node("down2")).status === "Offline", 20_000, 200);
    expect((await a("/v2/nodes/register", "POST", { ...registration("down3", "http://127.0.0.1:9113"), pools: ["moving-pool"] })).status).toBe(200);
  }, 60_000);
});
