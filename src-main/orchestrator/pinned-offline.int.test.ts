import type { ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { NodeListResponseSchema } from "../../src-shared/nodes/node-info.js";
import { TaskStatusSchema } from "../../src-shared/tasks/task-status.js";
import { taskRequest } from "../../test-support/fixtures.js";
import { sseFrame, startProtocolNode, type ProtocolNode } from "../../test-support/protocol-node.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { waitFor } from "../../test-support/wait-for.js";

// Found by the fleetops adversary: a task queued with a pin to a node (placement.mode "pin", or the
// compatible surfaces' pin header) that then went Offline stayed queued, silently, until its deadline
// (10 minutes by default), while a new request with the same pin got a retriable 503 at once and an
// unpinned task whose holders all went Offline ended at once too. A pinned task now waits for its node only
// while the node is coming back (Suspect, Registering), and ends with 503 NODE_UNAVAILABLE once it is Offline.

let orch: TestOrchestrator | undefined;
let node: ProtocolNode | undefined;
afterEach(async () => {
  await node?.stop();
  await orch?.close();
  node = orch = undefined;
});

describe("a task queued with a pin to a node that goes Offline", () => {
  it("ends with a retriable NODE_UNAVAILABLE once the node is Offline, not at its deadline", async () => {
    orch = await startTestOrchestrator({ pool_probe_interval_ms: 0 });
    const o = orch;
    const held: ServerResponse[] = [];
    node = await startProtocolNode({
      orchUrl: o.url, token: o.token, nodeId: "pinned", modelName: "pin-sim", slots: 1,
      // The first task holds the only slot: the pinned one queues behind it.
      onInfer: (res) => {
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.write(sseFrame("started", { queue_position: 0, predicted_start_ms: 0 }));
        held.push(res);
      },
    });
    const status = async (id: string) => TaskStatusSchema.parse(await (await o.api(`/v2/tasks/${id}`)).json());
    const first = taskRequest("pin-sim", { deadline_ms: 120_000 });
    const pinned = taskRequest("pin-sim", { deadline_ms: 120_000, placement: { mode: "pin", pin_node_id: "pinned" } });
    expect((await o.api("/v2/tasks", { method: "POST", body: JSON.stringify(first) })).status).toBe(202);
    await waitFor("the first task holding the slot", async () => held.length === 1, 10_000);
    expect((await o.api("/v2/tasks", { method: "POST", body: JSON.stringify(pinned) })).status).toBe(202);
    expect((await status(pinned.task_id)).state).toBe("queued");

    // The node dies: Suspect at once (its watch drops), Offline at node_timeout_ms (5 s).
    await node.stop();
    node = undefined;
    await waitFor("the node Offline", async () => NodeListResponseSchema.parse(await (await o.api("/v2/nodes")).json()).nodes[0]?.status === "Offline", 15_000);
    await waitFor("the pinned task ended", async () => (await status(pinned.task_id)).state !== "queued", 3_000);
    expect(await status(pinned.task_id)).toMatchObject({ state: "failed", error: { code: "NODE_UNAVAILABLE", message: "pinned node pinned is Offline" } });
  }, 60_000);
});
