import type { ChildProcess } from "node:child_process";
import type { ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodeListResponseSchema } from "../../src-shared/nodes/node-info.js";
import { readSseEvents } from "../../src-shared/streaming/read-sse.js";
import { TaskStatusSchema } from "../../src-shared/tasks/task-status.js";
import { taskRequest } from "../../test-support/fixtures.js";
import { sseFrame, startProtocolNode, type ProtocolNode } from "../../test-support/protocol-node.js";
import { startStalledClient } from "../../test-support/stalled-client.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { waitFor } from "../../test-support/wait-for.js";

// One client that never reads must not stall the others: the orchestrator's writes to a client never
// wait for it (src-node/stream-bounds.ts), so the fan-out to every other stream goes on, and the
// stalled client's buffer is bounded: past 4 MiB unread it is disconnected (its task, its own, is
// canceled). The node is a boundary double speaking the worker protocol: a "flood" task streams
// 64 KiB tokens until canceled, the other tasks stream small tokens.

const MODEL = "slow-reader-sim";
const SLOTS = 8;
const FLOOD_TOKENS = 1000; // 64 MiB if never cut: far past any buffer
const FLOOD_TOKEN = "f".repeat(64 * 1024);
const TOKENS = 200;
const CLIENTS = 4;
const TASKS_PER_CLIENT = 3;

let orch: TestOrchestrator;
let node: ProtocolNode;

/** Streams `n` tokens, one every `everyMs` (a timer per stream), then `end`; stops when the orchestrator hangs up. */
function streamTokens(res: ServerResponse, taskId: string, n: number, text: (i: number) => string, everyMs: number): void {
  res.writeHead(200, { "content-type": "text/event-stream" });
  res.write(sseFrame("started", { queue_position: 0, predicted_start_ms: 0, task_id: taskId, node_id: "slow", pool_id: "p0" }));
  let i = 0;
  const timer = setInterval(() => {
    if (res.destroyed) return void clearInterval(timer);
    res.write(sseFrame("token", { t: text(i), i }));
    if (++i < n) return;
    clearInterval(timer);
    res.end(sseFrame("end", { tokens_out: n, decode_ms: 1, decode_time_ms: 1, stop_reason: "max_tokens", tokens_in: 2 }));
  }, everyMs);
  res.on("close", () => clearInterval(timer));
}

function startNode(orchUrl: string, token: string): Promise<ProtocolNode> {
  return startProtocolNode({
    orchUrl, token, nodeId: "slow", modelName: MODEL, slots: SLOTS,
    onInfer: (res, { task_id, max_tokens }) => {
      if (max_tokens === FLOOD_TOKENS) streamTokens(res, task_id, FLOOD_TOKENS, () => FLOOD_TOKEN, 5);
      else streamTokens(res, task_id, max_tokens, (i) => ` w${i}`, 1);
    },
  });
}

async function stalledReader(path: string): Promise<{ child: ChildProcess; statusLine: string }> {
  const url = new URL(orch.url);
  const request = `GET ${path} HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${orch.token}\r\nAccept: text/event-stream\r\n\r\n`;
  const { child, head } = await startStalledClient(orch.url, request);
  return { child, statusLine: head.split("\r\n")[0] as string };
}

/** One task as a reading client runs it; returns the token texts in arrival order and the terminal event. */
async function readTask(): Promise<{ texts: string[]; last: string }> {
  const body = taskRequest(MODEL, { max_tokens: TOKENS, ctx: 512 });
  const accepted = await orch.api("/v2/tasks", { method: "POST", body: JSON.stringify(body) });
  if (accepted.status !== 202) throw new Error(`admission: ${accepted.status} ${await accepted.text()}`);
  await accepted.body?.cancel();
  const res = await orch.api(`/v2/tasks/${body.task_id}/events`);
  if (!res.ok || res.body === null) throw new Error(`events: ${res.status}`);
  const texts: string[] = [];
  let last = "";
  for await (const event of readSseEvents(res.body)) {
    last = event.event;
    if (event.event === "token") texts.push(event.data.t);
  }
  return { texts, last };
}

const status = async (id: string) => TaskStatusSchema.parse(await (await orch.api(`/v2/tasks/${id}`)).json());

beforeAll(async () => {
  // The dead-peer limit far away (10 min): only the byte bound can end the stalled reader within the test.
  orch = await startTestOrchestrator({ log_level: "warn", watch_dead_peer_ms: 600_000 });
  node = await startNode(orch.url, orch.token);
  await waitFor("the node is Online with a ready pool", async () => {
    const nodes = NodeListResponseSchema.parse(await (await orch.api("/v2/nodes")).json()).nodes;
    return nodes[0]?.status === "Online" && nodes[0].pools[0]?.ready === true;
  }, 10_000);
}, 20_000);

afterAll(async () => {
  await node?.stop();
  await orch?.close();
});

describe("a client that never reads", () => {
  it("does not hold back the other streams, and is disconnected once it leaves more than the bound unread", async () => {
    const flood = taskRequest(MODEL, { max_tokens: FLOOD_TOKENS, ctx: 512 });
    const accepted = await orch.api("/v2/tasks", { method: "POST", body: JSON.stringify(flood) });
    expect(accepted.status).toBe(202);
    await accepted.body?.cancel();
    const { child, statusLine } = await stalledReader(`/v2/tasks/${flood.task_id}/events`);
    try {
      expect(statusLine).toBe("HTTP/1.1 200 OK");
      // The others stream while the stalled reader is attached: every token of every task, in order.
      const runs = await Promise.all(
        Array.from({ length: CLIENTS }, async () => {
          const out = [];
          for (let k = 0; k < TASKS_PER_CLIENT; k++) out.push(await readTask());
          return out;
        }),
      );
      const expected = Array.from({ length: TOKENS }, (_, i) => ` w${i}`);
      for (const run of runs.flat()) {
        expect(run.last).toBe("end");
        expect(run.texts).toEqual(expected);
      }
      // Bounded: the orchestrator gave up on the stalled reader (with the dead-peer limit at 10 min,
      // only the byte bound closes it) and, the task being that reader's own, canceled it long before
      // its 64 MiB were generated.
      await waitFor("the stalled reader's task ended", async () => ["completed", "failed", "canceled"].includes((await status(flood.task_id)).state), 60_000, 100);
      const ended = await status(flood.task_id);
      expect(ended.state).toBe("canceled");
      expect(ended.tokens_out).toBeLessThan(FLOOD_TOKENS);
    } finally {
      child.kill("SIGKILL");
    }
  }, 120_000);
});
