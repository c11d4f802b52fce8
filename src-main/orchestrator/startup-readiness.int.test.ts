import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorEnvelopeSchema } from "../../src-shared/errors/error-envelope.js";
import { ReadinessResponseSchema } from "../../src-shared/meta/readiness.js";
import { NodeListResponseSchema } from "../../src-shared/nodes/node-info.js";
import { testModelName } from "../../test-support/models.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { waitFor } from "../../test-support/wait-for.js";
import { startWorkerProcess, type WorkerProcess } from "../../test-support/worker-process.js";

// Start-up as `npm start` sees it: the orchestrator is alive before any pool can serve. /health says
// alive, /ready says why not yet, and a request for a model whose pool is still loading waits in the
// queue instead of getting 503.

const MEDIUM = testModelName("medium");
let orch: TestOrchestrator;
let worker: WorkerProcess | undefined;

const readiness = async () => {
  const res = await fetch(`${orch.url}/ready`);
  const json: unknown = await res.json();
  return res.status === 200 ? { status: 200, body: ReadinessResponseSchema.parse(json) } : { status: res.status, retryAfter: res.headers.get("retry-after"), error: ErrorEnvelopeSchema.parse(json) };
};
const pools = async () => NodeListResponseSchema.parse(await (await orch.api("/v2/nodes")).json()).nodes.flatMap((n) => n.pools);

beforeAll(async () => {
  orch = await startTestOrchestrator({ pool_probe_interval_ms: 500 });
});

afterAll(async () => {
  await worker?.kill();
  await orch?.close();
}, 30_000);

describe("start-up readiness against a real worker", () => {
  it("before any worker: /health is 200, /ready is 503 without a token, saying why", async () => {
    expect((await fetch(`${orch.url}/health`)).status).toBe(200);
    const r = await readiness();
    expect(r.status).toBe(503);
    expect(r.retryAfter).toBe("1");
    expect(r.error).toMatchObject({ code: "POOL_UNAVAILABLE", message: "not ready: no worker node is online yet", details: { nodes_online: 0, pools_total: 0, pools_ready: 0 } });
    // A request before any node reported a model cannot know whether the model exists: a retriable 503, not a 404.
    const early = await orch.api("/v1/chat/completions", { method: "POST", body: JSON.stringify({ model: MEDIUM, messages: [{ role: "user", content: "hi" }], max_tokens: 4 }) });
    expect(early.status).toBe(503);
    expect(await early.json()).toMatchObject({ error: { code: "MODEL_NOT_AVAILABLE", message: expect.stringMatching(/no worker node has reported any model yet/) } });
  });

  it("a request for a model whose pool is loading waits and is served; /ready turns 200", async () => {
    const starting = startWorkerProcess({ nodeId: "boot", models: ["medium"], orchestratorUrl: orch.url, token: orch.token, slots: 1 });
    // The worker registers as soon as its pools start loading: catch that window.
    const seen = await waitFor("the worker's pool registered", async () => (await pools())[0], 30_000, 5);
    const sent = orch.api("/v1/chat/completions", { method: "POST", body: JSON.stringify({ model: MEDIUM, messages: [{ role: "user", content: "hi" }], max_tokens: 4 }) });
    const during = await readiness();
    worker = await starting;
    const res = await sent;
    expect(res.status, await res.clone().text()).toBe(200);
    expect(((await res.json()) as { choices: unknown[] }).choices).toHaveLength(1);
    if (!seen.ready) {
      // The request above went out while the pool was loading (the case this test is about).
      expect(during.status).toBe(503);
      expect(during.error?.message).toContain("none ready yet");
    } else {
      console.log("startup-readiness: the pool was ready at registration; the loading window was not observed");
    }
    const after = await waitFor("/ready 200", async () => {
      const r = await readiness();
      return r.status === 200 ? r : undefined;
    });
    expect(after.body).toEqual({ ready: true, nodes_online: 1, pools_total: 1, pools_ready: 1 });
  });
});
