import { describe, expect, it } from "vitest";
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
