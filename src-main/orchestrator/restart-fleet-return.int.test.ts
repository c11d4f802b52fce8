// After an orchestrator restart a fleet comes back over many seconds, not within node_timeout_ms
// (fleet adversary, 2026-11-30): 1,000 simulated agents re-registered over 10–25 s while the restarted
// orchestrator recovered 4,000 queued tasks, and the fixed hold ("no node holds the model" means "not
// re-registered yet") ended 5 s after the start: 3,478 of them failed MODEL_NOT_AVAILABLE with their
// holders on the way back. Now every known node that comes back extends the hold by node_timeout_ms.
// Here the nodes return one per second with node_timeout_ms 2 s, the model's holder last, at ~4 s.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TaskStatusSchema } from "../../src-shared/tasks/task-status.js";
import { taskRequest } from "../../test-support/fixtures.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { sseFrame, startProtocolNode, type ProtocolNode } from "../../test-support/protocol-node.js";
import { waitFor } from "../../test-support/wait-for.js";

let orch: TestOrchestrator;
const others: ProtocolNode[] = [];
let holder: ProtocolNode;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  orch = await startTestOrchestrator({ log_level: "warn", pool_probe_interval_ms: 0, node_suspect_ms: 1500, node_timeout_ms: 2000 });
  const node = (nodeId: string, modelName: string) =>
    startProtocolNode({
      orchUrl: orch.url, token: orch.token, nodeId, modelName, slots: 1, poolId: `${nodeId}-p0`,
      onInfer: (res) => {
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.write(sseFrame("started", { queue_position: 0, predicted_start_ms: 0 }));
        res.end(sseFrame("token", { t: " ok", i: 0 }) + sseFrame("end", { tokens_out: 1, decode_ms: 1, decode_time_ms: 1, stop_reason: "max_tokens", tokens_in: 2 }));
      },
    });
  for (let i = 0; i < 3; i++) others.push(await node(`other-${i}`, `other-model-${i}`));
  holder = await node("holder", "held-model");
}, 30_000);

afterAll(async () => {
  for (const n of others) await n.stop();
  await holder?.stop();
  await orch?.close();
});

describe("an orchestrator restart with a fleet coming back over several seconds", () => {
  it("keeps a request for a model waiting while known nodes keep coming back, past node_timeout_ms", async () => {
    await orch.restart();
    const restartedAt = Date.now();
    // A request right after the restart, for the model only the last node to come back holds.
    const body = taskRequest("held-model", { deadline_ms: 60_000 });
    const res = await orch.api("/v2/tasks", { method: "POST", body: JSON.stringify(body) });
    expect(res.status).toBe(202);
    await res.body?.cancel();
    // The other known nodes come back one per second (their next heartbeat got 404: they register again).
    for (const n of others) {
      await sleep(1000);
      await n.reregister();
    }
    await sleep(1000);
    const holderBackAfterMs = Date.now() - restartedAt;
    await holder.reregister();
    await waitFor("the task ended", async () => ["completed", "failed", "canceled"].includes(TaskStatusSchema.parse(await (await orch.api(`/v2/tasks/${body.task_id}`)).json()).state), 20_000);
    const status = TaskStatusSchema.parse(await (await orch.api(`/v2/tasks/${body.task_id}`)).json());
    // Only meaningful when the holder came back well after node_timeout_ms (the old, fixed hold).
    expect(holderBackAfterMs).toBeGreaterThan(3500);
    expect(status.error).toBeNull();
    expect(status).toMatchObject({ state: "completed", node_id: "holder" });
  }, 60_000);
});
