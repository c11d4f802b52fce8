// A node that reports absurd capacity (a billion slots, a petabyte of free VRAM) to win placement, then
// black-holes what it is given: an error for every infer, a connection cut, or a stream that starts and
// then sends only keep-alives for good (node adversary, 2026-11-30). Two honest nodes hold the same model.
// Placement counts a pool's busy slots itself (its own in-flight tasks, not the slots_free reported), so the
// billion slots never fill and the petabyte wins every tie: the rogue node gets most first attempts. An
// error or a cut fails over at once (re-placed on an honest node: every client gets its answer). A stream
// that only keeps alive held its task for good (8 of 12 clients still waiting after 20 s): now
// worker_first_token_timeout_ms ends such an attempt and re-places it. The node itself stays Online: its
// heartbeats and watch are fine (an operator drains it). Here 12 tasks arrive at once, so the rogue pool
// takes most of them before its first failure; after 3 failures it is ejected from placement for a while
// (outlier ejection: outlier-ejection.int.test.ts shows the lure stopping and latency dropping).
import type { ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { sseFrame, startProtocolNode, type ProtocolNode } from "../../test-support/protocol-node.js";
import { createApiKey } from "../../test-support/api-keys.js";
import { waitFor } from "../../test-support/wait-for.js";

const MODEL = "lure-model";
const TASKS = 12;
const FIRST_TOKEN_MS = 3000;

let orch: TestOrchestrator;
const honest: ProtocolNode[] = [];
const honestInfers = { n: 0 };
let rogueKey = "";

function answer(res: ServerResponse): void {
  honestInfers.n++;
  res.writeHead(200, { "content-type": "text/event-stream" });
  res.write(sseFrame("started", { queue_position: 0, predicted_start_ms: 0 }));
  res.end(sseFrame("token", { t: " ok", i: 0 }) + sseFrame("end", { tokens_out: 1, decode_ms: 1, decode_time_ms: 1, stop_reason: "max_tokens", tokens_in: 2 }));
}

beforeAll(async () => {
  orch = await startTestOrchestrator({ pool_probe_interval_ms: 0, worker_first_token_timeout_ms: FIRST_TOKEN_MS });
  rogueKey = (await createApiKey(orch, "rogue worker", ["worker"])).key;
  for (const i of [0, 1]) honest.push(await startProtocolNode({ orchUrl: orch.url, token: orch.token, nodeId: `honest-${i}`, modelName: MODEL, slots: 2, poolId: `honest-${i}-p0`, vramFreeBytes: 8 * 2 ** 30, onInfer: (res) => setTimeout(() => answer(res), 20) }));
}, 30_000);

afterAll(async () => {
  for (const n of honest) await n.stop();
  await orch?.close();
});

async function run(mode: "error" | "reset" | "hold") {
  const held: ServerResponse[] = [];
  const rogueInfers = { n: 0 };
  const rogue = await startProtocolNode({
    orchUrl: orch.url,
    token: rogueKey,
    nodeId: `rogue-${mode}`,
    modelName: MODEL,
    slots: 1_000_000_000,
    poolId: `rogue-${mode}-p0`,
    vramFreeBytes: 2 ** 50,
    onInfer: (res) => {
      rogueInfers.n++;
      if (mode === "error") return void res.writeHead(503, { "content-type": "application/json" }).end(JSON.stringify({ code: "POOL_UNAVAILABLE", message: "busy", retriable: true }));
      if (mode === "reset") return void res.socket?.destroy();
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(sseFrame("started", { queue_position: 0, predicted_start_ms: 0 }));
      held.push(res);
    },
  });
  const keepAlive = setInterval(() => {
    for (const r of held) r.write(": keep-alive\n\n");
  }, 500);
  await waitFor(`rogue-${mode} Online`, async () => ((await (await orch.api(`/v2/nodes/rogue-${mode}`)).json()) as { status: string }).status === "Online");
  const t0 = performance.now();
  const results = await Promise.all(Array.from({ length: TASKS }, async () => {
    const started = performance.now();
    try {
      const res = await orch.api("/v1/chat/completions", { method: "POST", body: JSON.stringify({ model: MODEL, max_tokens: 4, messages: [{ role: "user", content: "hi" }] }), signal: AbortSignal.timeout(FIRST_TOKEN_MS + 20_000) });
      return { status: res.status, ms: Math.round(performance.now() - started), body: (await res.text()).slice(0, 200) };
    } catch (err) {
      return { status: 0, ms: Math.round(performance.now() - started), body: String(err) };
    }
  }));
  const status = ((await (await orch.api(`/v2/nodes/rogue-${mode}`)).json()) as { status: string }).status;
  console.log(`lure ${mode}: ${JSON.stringify(results.map((r) => [r.status, r.ms]))} rogue infers ${rogueInfers.n} honest infers ${honestInfers.n}, rogue ${status}, total ${Math.round(performance.now() - t0)} ms`);
  clearInterval(keepAlive);
  await rogue.stop();
  return { results, rogueInfers: rogueInfers.n, status };
}

describe("a node lying about its capacity", () => {
  for (const mode of ["error", "reset", "hold"] as const) {
    it(`black-holing by ${mode}`, async () => {
      const r = await run(mode);
      // The lure works: the rogue node got first attempts (most of them)...
      expect(r.rogueInfers).toBeGreaterThan(0);
      // ...and every client still got its answer from an honest node.
      expect(r.results.map((x) => x.status)).toEqual(Array.from({ length: TASKS }, () => 200));
      for (const x of r.results) expect(x.body).toContain(" ok");
      // Its heartbeats and watch are healthy, so the node stays Online (its pool is ejected from placement for a while).
      expect(r.status).toBe("Online");
    }, 60_000);
  }
});
