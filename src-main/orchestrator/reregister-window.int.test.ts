import type { ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { NodeListResponseSchema } from "../../src-shared/nodes/node-info.js";
import { TaskStatusSchema } from "../../src-shared/tasks/task-status.js";
import { taskRequest } from "../../test-support/fixtures.js";
import { sseFrame, startProtocolNode, type ProtocolNode } from "../../test-support/protocol-node.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { waitFor } from "../../test-support/wait-for.js";

// Found by the fleetops adversary (the only holder of a model restarting under a client sending every
// 50 ms): an agent that registers again (after its restart, or a heartbeat's 404) is Registering until its
// first heartbeat, sent right after. A task queued for a model whose only holder was in that moment failed
// at once with MODEL_NOT_AVAILABLE "every node holding the model is offline or draining", although the node
// was back and about to be Online. A Registering holder is waited for as a Suspect one is (bounded: without
// a heartbeat it turns Suspect, then Offline).

let orch: TestOrchestrator | undefined;
let node: ProtocolNode | undefined;
afterEach(async () => {
  await node?.stop();
  await orch?.close();
  node = orch = undefined;
});

describe("the only holder of a model registers again while a task waits for it", () => {
  it("keeps the queued task waiting and runs it after the node's heartbeat", async () => {
    orch = await startTestOrchestrator({ pool_probe_interval_ms: 0 });
    const o = orch;
    const held: ServerResponse[] = [];
    node = await startProtocolNode({
      orchUrl: o.url, token: o.token, nodeId: "only", modelName: "rereg-sim", slots: 1,
      // The first task holds the only slot until the test ends it; the second answers at once.
      onInfer: (res) => {
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.write(sseFrame("started", { queue_position: 0, predicted_start_ms: 0 }));
        if (held.length === 0) return void held.push(res);
        res.write(sseFrame("token", { t: "ok", i: 0 }));
        res.end(sseFrame("end", { tokens_out: 1, decode_ms: 1, decode_time_ms: 1, stop_reason: "max_tokens", tokens_in: 1 }));
      },
    });
    const status = async (id: string) => TaskStatusSchema.parse(await (await o.api(`/v2/tasks/${id}`)).json());
    const first = taskRequest("rereg-sim", { deadline_ms: 60_000 });
    const second = taskRequest("rereg-sim", { deadline_ms: 60_000 });
    expect((await o.api("/v2/tasks", { method: "POST", body: JSON.stringify(first) })).status).toBe(202);
    await waitFor("the first task holding the slot", async () => held.length === 1, 10_000);
    expect((await o.api("/v2/tasks", { method: "POST", body: JSON.stringify(second) })).status).toBe(202);
    expect((await status(second.task_id)).state).toBe("queued");

    // The agent registers again at the same address; its first heartbeat is not in yet.
    const address = NodeListResponseSchema.parse(await (await o.api("/v2/nodes")).json()).nodes[0]?.address;
    const reg = await o.api("/v2/nodes/register", { method: "POST", body: JSON.stringify({ node_id: "only", machine_id: "sim-only", address, pools: ["p0"], capabilities: { gpus: [], cpu_cores: 1 }, version: "sim" }) });
    expect(reg.status).toBe(200);
    await reg.body?.cancel();
    // The scheduler has seen the Registering node (the registration is a state change it reacts to).
    await new Promise((r) => setTimeout(r, 200));
    expect(await status(second.task_id)).toMatchObject({ state: "queued", error: null });
    expect((await status(first.task_id)).state).toBe("running");

    // The first task ends; the node's next heartbeat makes it Online and the second task runs there.
    held[0]?.end(sseFrame("end", { tokens_out: 0, decode_ms: 1, decode_time_ms: 1, stop_reason: "max_tokens", tokens_in: 1 }));
    await waitFor("the second task completed", async () => (await status(second.task_id)).state === "completed", 10_000);
    expect(await status(first.task_id)).toMatchObject({ state: "completed" });
  });
});
