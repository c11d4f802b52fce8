import type { ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodeListResponseSchema } from "../../src-shared/nodes/node-info.js";
import { TaskStatusSchema } from "../../src-shared/tasks/task-status.js";
import { testModelName } from "../../test-support/models.js";
import { startStalledClient } from "../../test-support/stalled-client.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { waitFor } from "../../test-support/wait-for.js";
import { startWorkerProcess, type WorkerProcess } from "../../test-support/worker-process.js";

// Ollama's NDJSON streams keep the same client bounds as SSE streams (src-node/stream-bounds.ts): a
// raw-socket client that stops reading is dropped once nothing it was sent has been acknowledged for
// watch_dead_peer_ms, and since the task is its own, the task is canceled and the slot freed.
const MEDIUM = testModelName("medium");
const DEAD_PEER_MS = 1000;
const HEARTBEAT_MS = 200;
let orch: TestOrchestrator;
let worker: WorkerProcess;

beforeAll(async () => {
  orch = await startTestOrchestrator({ watch_heartbeat_ms: HEARTBEAT_MS, watch_dead_peer_ms: DEAD_PEER_MS });
  worker = await startWorkerProcess({ nodeId: "ndjson-node", models: ["medium"], orchestratorUrl: orch.url, token: orch.token, slots: 1 });
  await waitFor("a ready pool", async () => (await pool())?.ready === true, 60_000);
}, 90_000);

afterAll(async () => {
  await worker?.kill();
  await orch?.close();
});

async function pool() {
  const nodes = NodeListResponseSchema.parse(await (await orch.api("/v2/nodes")).json()).nodes;
  return nodes.find((n) => n.status === "Online")?.pools[0];
}

const status = async (id: string) => TaskStatusSchema.parse(await (await orch.api(`/v2/tasks/${id}`)).json());

/** Sends an Ollama streaming request from a client that stops reading after the response head. */
async function stalledClient(path: string, body: object): Promise<{ child: ChildProcess; taskId: string }> {
  const url = new URL(orch.url);
  const payload = JSON.stringify(body);
  const request = `POST ${path} HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${orch.token}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`;
  const { child, head } = await startStalledClient(orch.url, request);
  const taskId = /\r\nx-task-id: ([^\r\n]+)/i.exec(head)?.[1];
  if (!head.startsWith("HTTP/1.1 200") || taskId === undefined) throw new Error(`unexpected reply: ${head.slice(0, 300)}`);
  return { child, taskId };
}

describe("Ollama NDJSON streams", () => {
  for (const [path, body] of [
    ["/api/generate", { model: MEDIUM, prompt: "Once upon a time", raw: true, stream: true, options: { num_predict: 3500, temperature: 0 } }],
    ["/api/chat", { model: MEDIUM, messages: [{ role: "user", content: "Tell a long story" }], stream: true, options: { num_predict: 3500, temperature: 0 } }],
  ] as const) {
    it(`${path}: a client that stops reading is dropped at the dead-peer limit; its task is canceled and the slot freed`, async () => {
      const { child, taskId } = await stalledClient(path, body);
      try {
        await waitFor("the stalled client's task ended", async () => ["completed", "failed", "canceled"].includes((await status(taskId)).state), 60_000, 100);
        const ended = await status(taskId);
        // Canceled well before its 3,500 tokens: the orchestrator gave up on the client, not the generation.
        expect(ended.state).toBe("canceled");
        expect(ended.tokens_out).toBeLessThan(3500);
        await waitFor("the slot is free again", async () => {
          const p = await pool();
          return p !== undefined && p.slots_free === p.slots_total;
        }, 15_000);
        // The one slot serves the next request.
        const next = await orch.api(path, { method: "POST", body: JSON.stringify({ ...body, stream: false, options: { num_predict: 4, temperature: 0 } }) });
        expect(next.status).toBe(200);
      } finally {
        child.kill("SIGKILL");
      }
    }, 120_000);
  }
});
