// What a node answers is read only so far: a node is whoever holds a `worker` key, and the orchestrator
// buffered a pool command's answer (and staging calls' answers) whole, however large. A node answering
// its drain command with an endless JSON body grew the orchestrator's memory until it ran out.
import type { ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startProtocolNode, type ProtocolNode } from "../../test-support/protocol-node.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { waitFor } from "../../test-support/wait-for.js";

const TOTAL = 64 * 1024 * 1024;
const CHUNK = Buffer.alloc(1024 * 1024, "a");

let orch: TestOrchestrator;
let node: ProtocolNode;
/** What the hostile node managed to hand over before the orchestrator hung up. */
const answer = { started: false, sent: 0, closed: false };

/** A JSON string that never seems to end: written as fast as the reader takes it, up to TOTAL bytes. */
function endlessAnswer(res: ServerResponse): void {
  answer.started = true;
  res.writeHead(202, { "content-type": "application/json" });
  res.write('{"accepted":"');
  res.on("close", () => (answer.closed = true));
  const pump = () => {
    while (answer.sent < TOTAL && !res.destroyed) {
      answer.sent += CHUNK.length;
      if (!res.write(CHUNK)) return void res.once("drain", pump);
    }
    if (!res.destroyed) res.end('"}');
  };
  pump();
}

beforeAll(async () => {
  orch = await startTestOrchestrator({ pool_probe_interval_ms: 0 });
  node = await startProtocolNode({
    orchUrl: orch.url,
    token: orch.token,
    nodeId: "hostile",
    modelName: "hostile-model",
    slots: 1,
    onInfer: (res) => res.writeHead(500).end(),
    onRequest: (req, res) => {
      if (req.method !== "POST" || req.url !== "/v2/pools/p0/drain") return false;
      endlessAnswer(res);
      return true;
    },
  });
  await waitFor("the node online", async () => ((await (await orch.api("/v2/nodes/hostile")).json()) as { status?: string }).status === "Online", 10_000);
});
afterAll(async () => {
  await node.stop();
  await orch.close();
});

describe("a node's answers", () => {
  it("are read up to 1 MiB: an endless answer to a pool command is cut, not buffered", async () => {
    expect((await orch.api("/v2/pools/p0/drain", { method: "POST", body: JSON.stringify({ deadline_ms: 1000 }) })).status).toBe(202);
    await waitFor("the orchestrator hanging up on the answer", () => answer.started && answer.closed, 20_000);
    // The kernel's socket buffers hold a few MiB more than the orchestrator read; the whole answer is 64 MiB.
    expect(answer.sent).toBeLessThan(16 * 1024 * 1024);
    expect((await fetch(`${orch.url}/health`)).status).toBe(200);
  });
});
