import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodeDetailSchema } from "../../src-shared/dashboard/cluster-events.js";
import { NodeListResponseSchema } from "../../src-shared/nodes/node-info.js";
import { testModelName } from "../../test-support/models.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { waitFor } from "../../test-support/wait-for.js";
import { startWorkerProcess, type WorkerProcess } from "../../test-support/worker-process.js";

// One task stream cut mid-way (a proxy reset, one connection lost) while the worker process, its watch
// and its heartbeats are fine: found by bench/fleet-chaos.mjs, where every cut stream turned its live node
// Suspect, which failed over every other stream on that node and took it out of placement until its next
// heartbeat. The node's live watch now vouches for it: only the cut task fails.
const MEDIUM = testModelName("medium");
const NODE = "cut-stream";
let orch: TestOrchestrator;
let worker: WorkerProcess;
let cutter: Server;
let cutNextInfer = false;
let client: OpenAI;

/** A raw pass-through in front of the worker that, when armed, cuts the next infer response after its first token frame. */
async function startCutter(target: () => string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const to = new URL(target());
    const cut = req.url?.endsWith("/infer") === true && cutNextInfer;
    if (cut) cutNextInfer = false;
    const upstream = httpRequest({ host: to.hostname, port: to.port, path: req.url, method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.on("data", (chunk: Buffer) => {
        res.write(chunk);
        if (cut && chunk.toString("utf8").includes("event: token")) {
          up.destroy();
          res.destroy();
        }
      });
      up.on("end", () => res.end());
      up.on("error", () => res.destroy());
    });
    upstream.on("error", () => res.destroy());
    res.on("close", () => upstream.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function node() {
  return NodeListResponseSchema.parse(await (await orch.api("/v2/nodes")).json()).nodes.find((n) => n.node_id === NODE);
}

beforeAll(async () => {
  orch = await startTestOrchestrator({ pool_probe_interval_ms: 0 });
  let workerAddress = "";
  const started = await startCutter(() => workerAddress);
  cutter = started.server;
  worker = await startWorkerProcess({ nodeId: NODE, models: ["medium"], orchestratorUrl: orch.url, token: orch.token, slots: 2, env: { POOL_MANAGERD_ADVERTISE_URL: started.url } });
  workerAddress = worker.address;
  await waitFor("the node Online with a ready pool", async () => {
    const n = await node();
    return n?.status === "Online" && n.pools.some((p) => p.ready);
  }, 30_000);
  // Let the watch connect and deliver its first pings.
  await new Promise((r) => setTimeout(r, 1500));
  client = new OpenAI({ baseURL: `${orch.url}/v1`, apiKey: orch.token, maxRetries: 0 });
}, 90_000);

afterAll(async () => {
  await worker?.kill();
  cutter?.closeAllConnections();
  await new Promise((r) => cutter?.close(r));
  await orch?.close();
});

describe("one task stream cut while the node is alive", () => {
  it("fails only that task: the node stays Online and its other stream completes", async () => {
    // A long stream on the node, past its first token.
    const { data: long } = await client.chat.completions.create({ model: MEDIUM, messages: [{ role: "user", content: "Tell a long story" }], max_tokens: 300, temperature: 0, stream: true }).withResponse();
    const longChunks = long[Symbol.asyncIterator]();
    let longText = "";
    for (;;) {
      const next = await longChunks.next();
      if (next.done === true) throw new Error("the long stream ended before its first token");
      longText += next.value.choices[0]?.delta.content ?? "";
      if (longText !== "") break;
    }
    // A second stream on the same node, cut after its first token by the pass-through.
    cutNextInfer = true;
    const cut = (async () => {
      const stream = await client.chat.completions.create({ model: MEDIUM, messages: [{ role: "user", content: "hi" }], max_tokens: 300, stream: true });
      let text = "";
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
      return text;
    })();
    await expect(cut).rejects.toThrow();
    expect(cutNextInfer).toBe(false); // the cut happened
    // The long stream runs to its end, undisturbed.
    let finish: string | null | undefined;
    for (;;) {
      const next = await longChunks.next();
      if (next.done === true) break;
      finish = next.value.choices[0]?.finish_reason ?? finish;
    }
    expect(finish).toBe("length");
    const detail = NodeDetailSchema.parse(await (await orch.api(`/v2/nodes/${NODE}`)).json());
    expect(detail.events.filter((e) => e.to === "Suspect" || e.to === "Offline")).toEqual([]);
    expect((await node())?.status).toBe("Online");
  }, 60_000);
});
