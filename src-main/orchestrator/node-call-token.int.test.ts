// The token the orchestrator presents when it calls a node is the one that node registered with.
// A `worker` key registering with `x-api-key` (the Anthropic SDK's header, accepted everywhere) used
// to leave the node without a known token, and the orchestrator then called the address the key
// holder chose with the operator's admin token: a worker key became the admin token within a second.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreatedApiKeySchema } from "../../src-shared/dashboard/api-keys.js";
import { listenOnLoopback, type ListeningApp } from "../../test-support/listening-app.js";
import { startTestOrchestrator, TEST_TOKEN, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { waitFor } from "../../test-support/wait-for.js";

let orch: TestOrchestrator;
let spy: ListeningApp;
/** Every Authorization header the "node" received, with the path. */
const seen: { path: string; authorization: string | undefined }[] = [];

beforeAll(async () => {
  orch = await startTestOrchestrator({ pool_probe_interval_ms: 1000 });
  spy = await listenOnLoopback((req, res) => {
    seen.push({ path: req.url ?? "", authorization: req.headers.authorization });
    res.writeHead(404, { "content-type": "application/json" }).end("{}");
  });
});
afterAll(async () => {
  await orch.close();
  await spy.close();
});

const registration = (nodeId: string, address: string) => ({ node_id: nodeId, machine_id: `${nodeId}-host`, address, pools: [`${nodeId}-p0`], capabilities: { gpus: [], cpu_cores: 2 }, version: "test" });

describe("the credential a node is called with", () => {
  it("is the worker key it registered with, also when that key came as x-api-key; never the operator's token", async () => {
    const key = CreatedApiKeySchema.parse(await (await orch.api("/v2/auth/keys", { method: "POST", body: JSON.stringify({ name: "spy worker", scopes: ["worker"] }) })).json()).key;
    const res = await fetch(`${orch.url}/v2/nodes/register`, { method: "POST", headers: { "x-api-key": key, "content-type": "application/json" }, body: JSON.stringify(registration("spy1", spy.url)) });
    expect(res.status).toBe(200);
    // The orchestrator opens the node's watch and probes its pool at once: wait for both kinds of call.
    await waitFor("the orchestrator calling the registered node (watch and pool probe)", () => seen.some((s) => s.path.startsWith("/v2/watch")) && seen.some((s) => s.path.startsWith("/v2/pools/")), 10_000);
    expect(seen.filter((s) => s.authorization === `Bearer ${TEST_TOKEN}`)).toEqual([]);
    expect(seen.every((s) => s.authorization === `Bearer ${key}`)).toBe(true);
  });
});
