import { afterEach, describe, expect, it } from "vitest";
import { sseFrame, startProtocolNode, type ProtocolNode } from "../../test-support/protocol-node.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";

// A worker may advertise a URL with a path (behind a reverse proxy that routes http://gw/node-a/* to it).
// Every call the orchestrator makes to it must keep that path. Found by the fleet adversary: pool probes,
// watch and cancel kept it, but task streams (plain HTTP, written straight to a kept-alive socket) went
// to /v2/pools/{id}/infer at the root, i.e. to whatever else the proxy serves there, or to a 404.

let orch: TestOrchestrator | undefined;
let node: ProtocolNode | undefined;
afterEach(async () => {
  await node?.stop();
  await orch?.close();
  node = orch = undefined;
});

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
