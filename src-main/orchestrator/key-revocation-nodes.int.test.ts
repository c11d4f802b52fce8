// Revoking the `worker` key a fleet shares (fleet adversary, 2026-11-30). Its nodes' heartbeats got 401
// from then on, which the liveness sweep only saw as silence: the nodes stayed Online until
// node_suspect_ms/node_timeout_ms, kept receiving new prompts, and were called with the revoked key as
// their credential all that while. Now they go Offline at the revocation, their running tasks fail over
// once to a node of another credential, and nothing more is placed on them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodeListResponseSchema } from "../../src-shared/nodes/node-info.js";
import { TaskStatusSchema } from "../../src-shared/tasks/task-status.js";
import { taskRequest } from "../../test-support/fixtures.js";
import { createApiKey } from "../../test-support/api-keys.js";
import { startNodeFleet, type NodeFleet } from "../../test-support/node-fleet.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { submitTasks } from "../../test-support/submit-tasks.js";
import { sseFrame, startProtocolNode, type ProtocolNode } from "../../test-support/protocol-node.js";
import { waitFor } from "../../test-support/wait-for.js";

const FLEET = 8; // 4 slots each (node-fleet.ts): 32 running tasks
const TASKS = FLEET * 4;
let orch: TestOrchestrator;
let fleet: NodeFleet | undefined;
let kept: ProtocolNode | undefined;
const rescuedInfers = new Map<string, number>();

beforeAll(async () => {
  // Heartbeat silence alone would take a minute to matter: whatever happens within the test is the revocation's doing.
  orch = await startTestOrchestrator({ log_level: "warn", pool_probe_interval_ms: 0, node_suspect_ms: 60_000, node_timeout_ms: 120_000 });
}, 30_000);

afterAll(async () => {
  await fleet?.close();
  await kept?.stop();
  await orch?.close();
});

const nodes = async () => NodeListResponseSchema.parse(await (await orch.api("/v2/nodes")).json()).nodes;
const task = async (id: string) => TaskStatusSchema.parse(await (await orch.api(`/v2/tasks/${id}`)).json());

describe("revoking the worker key a fleet shares", () => {
  it("takes its nodes Offline at once, fails their tasks over exactly once, and places nothing more on them", async () => {
    const key = await createApiKey(orch, "fleet workers", ["worker"]);
    const asKey = (path: string, init: RequestInit = {}) => orch.api(path, { ...init, headers: { ...(init.headers as Record<string, string> | undefined), authorization: `Bearer ${key.key}` } });
    fleet = await startNodeFleet(asKey, FLEET, 8, { holdInfers: true });

    const ids = await submitTasks((path, init) => orch.api(path, init), TASKS, "fleet-sim", { deadline_ms: 120_000 });
    await waitFor("every task running on the fleet", async () => (await Promise.all(ids.map(task))).every((t) => t.state === "running" && t.node_id?.startsWith("sim-") === true), 20_000);

    // A node of another credential (the operator's token) that can take every task over.
    kept = await startProtocolNode({
      orchUrl: orch.url, token: orch.token, nodeId: "kept-node", modelName: "fleet-sim", slots: TASKS * 2,
      onInfer: (res, body) => {
        rescuedInfers.set(body.task_id, (rescuedInfers.get(body.task_id) ?? 0) + 1);
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.write(sseFrame("started", { queue_position: 0, predicted_start_ms: 0 }));
        res.end(sseFrame("token", { t: " ok", i: 0 }) + sseFrame("end", { tokens_out: 1, decode_ms: 1, decode_time_ms: 1, stop_reason: "max_tokens", tokens_in: 2 }));
      },
    });
    await waitFor("the kept node Online", async () => (await nodes()).some((n) => n.node_id === "kept-node" && n.status === "Online"), 15_000);

    expect((await orch.api(`/v2/auth/keys/${key.id}`, { method: "DELETE" })).status).toBe(204);
    // Offline within seconds (not node_suspect_ms), each with an event naming why.
    await waitFor("every fleet node Offline", async () => (await nodes()).filter((n) => n.node_id.startsWith("sim-")).every((n) => n.status === "Offline"), 10_000);
    const events = await (await orch.api(`/v2/nodes/${fleet.ids[0]}`)).text();
    expect(events).toContain("revoked");

    // Every task ends once, on the kept node, each dispatched there exactly once.
    await waitFor("every task completed", async () => (await Promise.all(ids.map(task))).every((t) => t.state === "completed"), 20_000);
    const finals = await Promise.all(ids.map(task));
    expect(finals.every((t) => t.node_id === "kept-node")).toBe(true);
    expect([...rescuedInfers.keys()].sort()).toEqual([...ids].sort());
    expect([...rescuedInfers.values()].every((n) => n === 1)).toBe(true);

    // New work goes to the kept node only; the fleet's agents are refused (401) and cannot re-register.
    const later = taskRequest("fleet-sim", { deadline_ms: 30_000 });
    expect((await orch.api("/v2/tasks", { method: "POST", body: JSON.stringify(later) })).status).toBe(202);
    await waitFor("the later task completed", async () => (await task(later.task_id)).state === "completed", 15_000);
    expect((await task(later.task_id)).node_id).toBe("kept-node");
    expect((await asKey(`/v2/nodes/${fleet.ids[0]}/heartbeat`, { method: "POST", body: JSON.stringify({ timestamp: new Date().toISOString(), pools: [] }) })).status).toBe(401);
  }, 90_000);
});
