import { afterEach, describe, expect, it } from "vitest";
import { TaskStatusSchema } from "../../src-shared/tasks/task-status.js";
import { taskRequest } from "../../test-support/fixtures.js";
import { sseFrame, startProtocolNode, type ProtocolNode } from "../../test-support/protocol-node.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { waitFor } from "../../test-support/wait-for.js";

// Cases found by the fleet adversary with one protocol-speaking node beside a real orchestrator.

let orch: TestOrchestrator | undefined;
let node: ProtocolNode | undefined;
afterEach(async () => {
  await node?.stop();
  await orch?.close();
  node = orch = undefined;
});

// A cancel storm across an orchestrator restart (found by the fleet adversary): the tasks running at the
// crash end failed (WORKER_RESET) at the restart and GET /v2/tasks/{id} answers them, but their cancel
// got 404 TASK_NOT_FOUND ("no task"), as if the id were wrong: the handler looked in memory only. A
// finished task's cancel is 204 (nothing to do) wherever the task is kept; an unknown id is still 404.
describe("cancel of a task that ended in an earlier run", () => {
  it("is 204 like any finished task's, and changes nothing", async () => {
    orch = await startTestOrchestrator({ pool_probe_interval_ms: 0 });
    node = await startProtocolNode({
      orchUrl: orch.url, token: orch.token, nodeId: "holder", modelName: "cancel-sim", slots: 1,
      // Started, then nothing more: the task runs until the orchestrator goes away.
      onInfer: (res) => {
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.write(sseFrame("started", { queue_position: 0, predicted_start_ms: 0 }));
      },
    });
    const body = taskRequest("cancel-sim");
    expect((await orch.api("/v2/tasks", { method: "POST", body: JSON.stringify(body) })).status).toBe(202);
    const status = async () => TaskStatusSchema.parse(await (await (orch as TestOrchestrator).api(`/v2/tasks/${body.task_id}`)).json());
    await waitFor("the task running", async () => (await status()).state === "running", 10_000);
    await orch.restart();
    expect(await status()).toMatchObject({ state: "failed", error: { code: "WORKER_RESET" } });
    const cancel = await orch.api(`/v2/tasks/${body.task_id}/cancel`, { method: "POST" });
    expect(cancel.status).toBe(204);
    expect(await status()).toMatchObject({ state: "failed", error: { code: "WORKER_RESET" } });
    expect((await orch.api("/v2/tasks/00000000-0000-4000-8000-000000000000/cancel", { method: "POST" })).status).toBe(404);
  });
});

// A worker may advertise a URL with a path (behind a reverse proxy that routes http://gw/node-a/* to it).
// Every call the orchestrator makes to it must keep that path. Found by the fleet adversary: pool probes,
// watch and cancel kept it, but task streams (plain HTTP, written straight to a kept-alive socket) went
// to /v2/pools/{id}/infer at the root, i.e. to whatever else the proxy serves there, or to a 404.
describe("a node advertised at a URL with a path", () => {
  it("gets its task streams under that path, like every other call", async () => {
    orch = await startTestOrchestrator({ pool_probe_interval_ms: 0 });
    const inferPaths: string[] = [];
    node = await startProtocolNode({
      orchUrl: orch.url, token: orch.token, nodeId: "behind-proxy", modelName: "path-sim", slots: 2, basePath: "/gw/node-a",
      onInfer: (res, { task_id }) => {
        inferPaths.push(task_id);
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.write(sseFrame("started", { queue_position: 0, predicted_start_ms: 0 }));
        res.write(sseFrame("token", { t: "hello", i: 0 }));
        res.end(sseFrame("end", { tokens_out: 1, decode_ms: 1, decode_time_ms: 1, stop_reason: "max_tokens", tokens_in: 1 }));
      },
    });
    const res = await orch.api("/v1/completions", { method: "POST", body: JSON.stringify({ model: "path-sim", prompt: "hi", max_tokens: 1 }) });
    const body = (await res.json()) as { choices?: { text: string }[] };
    expect(res.status).toBe(200);
    expect(body.choices?.[0]?.text).toBe("hello");
    expect(inferPaths).toHaveLength(1);
  });
});
