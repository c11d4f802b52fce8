import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { sseFrame, startProtocolNode, type ProtocolNode } from "../../test-support/protocol-node.js";

// A non-streamed compatible request whose worker fails after producing tokens (re-placement and the one
// rescue failing too, here because every attempt fails) ends with WORKER_RESET. The seed's /v2 pact gives
// that code HTTP 500; to a client of a gateway, though, a 500 says the gateway itself broke. The compatible
// surfaces answer 502 (the upstream worker failed), retriable, so a 500 only ever means this server's bug
// (found by the chaos adversary, 2026-11-30: every 500 in fleet-chaos and fleet-restart was this).
const MODEL = "failing-sim";
let orch: TestOrchestrator;
let node: ProtocolNode;
let attempts = 0;

beforeAll(async () => {
  orch = await startTestOrchestrator({ pool_probe_interval_ms: 0 });
  node = await startProtocolNode({
    orchUrl: orch.url,
    token: orch.token,
    nodeId: "failing",
    modelName: MODEL,
    slots: 4,
    poolId: "failing-p0",
    // Starts, sends a token, then the connection is cut: a worker dying mid-generation.
    onInfer: (res) => {
      attempts++;
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(sseFrame("started", { queue_position: 0, predicted_start_ms: 0 }));
      res.write(sseFrame("token", { t: " a", i: 0 }));
      setTimeout(() => res.destroy(), 20);
    },
  });
  const t0 = performance.now();
  while (!(await (await orch.api("/v1/models")).text()).includes(MODEL)) {
    if (performance.now() - t0 > 10_000) throw new Error("the node's model never listed");
    await new Promise((r) => setTimeout(r, 100));
  }
}, 30_000);

afterAll(async () => {
  await node?.stop();
  await orch?.close();
});

describe("a worker failing under a non-streamed compatible request", () => {
  it("OpenAI: 502 with a server_error the SDK raises as InternalServerError, never 500", async () => {
    const client = new OpenAI({ baseURL: `${orch.url}/v1`, apiKey: orch.token, maxRetries: 0 });
    const before = attempts;
    const err = await client.chat.completions.create({ model: MODEL, max_tokens: 8, messages: [{ role: "user", content: "hi" }] }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    expect((err as InstanceType<typeof OpenAI.APIError>).message).toMatch(/WORKER_RESET|worker|node/i);
    expect(attempts - before).toBeGreaterThanOrEqual(1);
  }, 30_000);

  it("Anthropic: 502 with an api_error", async () => {
    const client = new Anthropic({ baseURL: orch.url, apiKey: orch.token, maxRetries: 0 });
    const err = await client.messages.create({ model: MODEL, max_tokens: 8, messages: [{ role: "user", content: "hi" }] }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.InternalServerError);
    expect((err as InstanceType<typeof Anthropic.APIError>).status).toBe(502);
  }, 30_000);

  it("Ollama: 502 with {error}", async () => {
    const res = await orch.api("/api/chat", { method: "POST", body: JSON.stringify({ model: MODEL, stream: false, messages: [{ role: "user", content: "hi" }], options: { num_predict: 8 } }) });
    expect(res.status).toBe(502);
    expect(await res.json()).toEqual({ error: expect.any(String) });
  }, 30_000);
});
