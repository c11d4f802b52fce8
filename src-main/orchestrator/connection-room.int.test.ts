// A worker keeps room for the orchestrator: at its connection cap (256) a new connection closes an idle
// one rather than being refused. Before, anyone on the LAN, with no credential, holding 256 half-open
// connections (headers never finished) to a worker locked the orchestrator out of it: every task
// placed there failed with 503 REPLICA_EXHAUSTED until the attacker let go (security adversary, 2026-11-30).
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodeListResponseSchema } from "../../src-shared/nodes/node-info.js";
import { testModelName } from "../../test-support/models.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { waitFor } from "../../test-support/wait-for.js";
import { startWorkerProcess, type WorkerProcess } from "../../test-support/worker-process.js";

const HALF_OPEN = 300;
let orch: TestOrchestrator;
let worker: WorkerProcess;
const sockets: Socket[] = [];

beforeAll(async () => {
  orch = await startTestOrchestrator({ pool_probe_interval_ms: 0 });
  worker = await startWorkerProcess({ nodeId: "w1", models: ["tiny"], orchestratorUrl: orch.url, token: orch.token, slots: 1 });
  await waitFor("w1 ready", async () => NodeListResponseSchema.parse(await (await orch.api("/v2/nodes")).json()).nodes.some((n) => n.node_id === "w1" && n.status === "Online" && n.pools.some((p) => p.ready)), 30_000);
}, 60_000);

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await worker?.kill();
  await orch?.close();
});

describe("a worker flooded with half-open connections", () => {
  it(`still takes the orchestrator's calls: ${HALF_OPEN} connections that never finish their headers do not lock it out`, async () => {
    const { hostname, port } = new URL(worker.address);
    let closedByWorker = 0;
    await Promise.all(
      Array.from({ length: HALF_OPEN }, () =>
        new Promise<void>((resolve) => {
          const s = connect(Number(port), hostname);
          sockets.push(s);
          s.on("error", () => undefined);
          s.on("close", () => closedByWorker++);
          s.once("connect", () => {
            s.write(`GET /health HTTP/1.1\r\nHost: ${hostname}\r\n`);
            resolve();
          });
          s.once("close", () => resolve());
        }),
      ),
    );
    // The worker holds at most its cap: the rest were closed (the oldest, to make room for the newest).
    await waitFor("the worker closing what is past its cap", () => closedByWorker >= HALF_OPEN - 256, 5000);
    // A new client still gets in, and a task placed on the worker runs.
    expect((await fetch(`${worker.address}/health`)).status).toBe(200);
    const res = await orch.api("/v1/completions", { method: "POST", body: JSON.stringify({ model: testModelName("tiny"), prompt: "The cat", max_tokens: 4, temperature: 0 }) });
    const body = await res.text();
    expect(res.status, body).toBe(200);
    expect(JSON.parse(body)).toMatchObject({ object: "text_completion" });
  }, 60_000);
});
