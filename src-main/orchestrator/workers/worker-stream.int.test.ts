import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import type { SseEndData } from "../../../src-shared/streaming/sse-events.js";
import type { WorkerInferRequest } from "../../../src-shared/worker-api/worker-infer.js";
import { WorkerClient } from "./worker-client.js";
import { streamFromWorker, type WorkerStreamSink } from "./worker-stream.js";

// Which failures belong to the node: a refused connection does (the node turns Suspect at once); a
// request this side cannot even serialise does not (it once marked the only node Suspect).
const sink: WorkerStreamSink = { progress: () => undefined, closed: () => false };

function target(lost: string[]) {
  // Port 9 (discard) on loopback: nothing listens, the connection is refused.
  return { client: new WorkerClient("http://127.0.0.1:9", "token"), node_id: "n1", pool_id: "n1.p", idle_ms: 5_000, onConnectionLost: (m: string) => lost.push(m) };
}

describe("streamFromWorker failure attribution", () => {
  it("a refused connection is the node's: connection lost, WORKER_RESET, re-placeable", async () => {
    const lost: string[] = [];
    const outcome = await streamFromWorker(target(lost), { task_id: "t", prompt: "hi", max_tokens: 1 } as WorkerInferRequest, new AbortController().signal, sink);
    expect(outcome).toMatchObject({ kind: "error", code: "WORKER_RESET", replaceable: true });
    expect(lost).toHaveLength(1);
  });

  it("a request that cannot be serialised is ours: INTERNAL, not re-placed, the node untouched", async () => {
    const lost: string[] = [];
    const circular: Record<string, unknown> = { task_id: "t", prompt: "hi", max_tokens: 1 };
    circular.self = circular;
    const outcome = await streamFromWorker(target(lost), circular as unknown as WorkerInferRequest, new AbortController().signal, sink);
    expect(outcome).toMatchObject({ kind: "error", code: "INTERNAL", replaceable: false, message: expect.stringMatching(/^the task could not be sent to node n1: /) });
    expect(lost).toEqual([]);
  });
});

describe("streamFromWorker: the worker's end", () => {
  /** A worker answering every infer with `body` as its whole SSE stream. */
  async function worker(body: string) {
    const server = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.end(body);
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const client = new WorkerClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, "t".repeat(32));
    return { target: { client, node_id: "n1", pool_id: "n1.p", idle_ms: 5_000, onConnectionLost: () => undefined }, close: () => new Promise((r) => server.close(r)) };
  }
  const body = { task_id: "t", prompt: "hi", max_tokens: 1 } as WorkerInferRequest;
  const STARTED = 'event: started\ndata: {"queue_position":0,"predicted_start_ms":0}\n\n';

  it("reaches sink.ended before the promise; a sink that is then closed gets `closed` from the promise", async () => {
    const w = await worker(`${STARTED}event: end\ndata: {"tokens_out":0,"decode_ms":1,"decode_time_ms":1,"stop_reason":"eos"}\n\n`);
    const ended: SseEndData[] = [];
    let closed = false;
    const outcome = await streamFromWorker(w.target, body, new AbortController().signal, {
      progress: () => undefined,
      closed: () => closed,
      ended: (data) => {
        ended.push(data);
        closed = true; // what a task that ended looks like to the sink
      },
    });
    expect(ended).toEqual([{ tokens_out: 0, decode_ms: 1, decode_time_ms: 1, stop_reason: "eos" }]);
    expect(outcome).toEqual({ kind: "closed" });
    await w.close();
  });

  it("leaves a worker's error event to the promise (re-placement and rescue decide there)", async () => {
    const w = await worker(`${STARTED}event: error\ndata: {"code":"WORKER_RESET","message":"engine died","retriable":true}\n\n`);
    const ended: SseEndData[] = [];
    const outcome = await streamFromWorker(w.target, body, new AbortController().signal, { progress: () => undefined, closed: () => false, ended: (d) => void ended.push(d) });
    expect(ended).toEqual([]);
    expect(outcome).toMatchObject({ kind: "error", code: "WORKER_RESET", message: "engine died", replaceable: true });
    await w.close();
  });

  it("a worker that never ends its line is cut at the bound: a protocol error of that node, not memory without end", async () => {
    const w = await worker(`${STARTED}event: token\ndata: "${"x".repeat(5 * 1024 * 1024)}`);
    const outcome = await streamFromWorker(w.target, body, new AbortController().signal, sink);
    expect(outcome).toMatchObject({ kind: "error", message: expect.stringMatching(/line is longer than/) });
    await w.close();
  });

  it("without sink.ended the end comes through the promise, as before", async () => {
    const w = await worker(`${STARTED}event: end\ndata: {"tokens_out":0,"decode_ms":1,"decode_time_ms":1}\n\n`);
    const outcome = await streamFromWorker(w.target, body, new AbortController().signal, sink);
    expect(outcome).toEqual({ kind: "end", data: { tokens_out: 0, decode_ms: 1, decode_time_ms: 1 } });
    await w.close();
  });
});
