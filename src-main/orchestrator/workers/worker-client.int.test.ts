import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { SseEvent } from "../../../src-shared/streaming/sse-events.js";
import { waitFor } from "../../../test-support/wait-for.js";
import { UpstreamError, WorkerClient } from "./worker-client.js";

// The worker client's task stream (node:http straight off the socket) against a real HTTP server
// playing the worker: connections are reused across tasks, an early stop closes the connection,
// and bad frames, refusals and a cut connection are told apart.

const STARTED = 'event: started\ndata: {"queue_position":0,"predicted_start_ms":0}\n\n';
const TOKEN = (i: number) => `event: token\ndata: {"t":"w${i}","i":${i}}\n\n`;
const END = 'event: end\ndata: {"tokens_out":2,"decode_ms":1,"decode_time_ms":1}\n\n';

let server: Server | null = null;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r) ?? r(undefined));
  server = null;
});

/** A worker whose infer answers with `answer`; counts the TCP connections it accepted and saw closed. */
async function fakeWorker(answer: (req: IncomingMessage, res: ServerResponse) => void, host = "127.0.0.1") {
  const stats = { opened: 0, closed: 0 };
  server = createServer((req, res) => {
    req.resume();
    req.on("end", () => answer(req, res));
  });
  server.keepAliveTimeout = 60_000;
  server.on("connection", (socket) => {
    stats.opened++;
    socket.on("close", () => stats.closed++);
  });
  await new Promise<void>((r) => server?.listen(0, host, r));
  const client = new WorkerClient(`http://${host.includes(":") ? `[${host}]` : host}:${(server.address() as AddressInfo).port}`, "t".repeat(32));
  return { client, stats };
}

async function collect(client: WorkerClient, taskId: string, stopAfter?: number): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  const terminal = await client.infer("p0", { task_id: taskId, prompt: "hi", max_tokens: 2 }, new AbortController().signal, 5000, {
    event: (event) => {
      events.push(event);
      return stopAfter === undefined || events.length < stopAfter;
    },
  });
  if (terminal !== null) events.push(terminal);
  return events;
}

describe("WorkerClient.infer", () => {
  it("streams validated events to the terminal one and reuses one connection for sequential tasks", async () => {
    const { client, stats } = await fakeWorker((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(STARTED);
      res.write(TOKEN(0));
      setTimeout(() => res.end(`: keep-alive\n\n${TOKEN(1)}${END}`), 2);
    });
    for (let i = 0; i < 10; i++) {
      const events = await collect(client, `t${i}`);
      expect(events.map((e) => e.event)).toEqual(["started", "token", "token", "end"]);
      expect(events[2]).toEqual({ event: "token", data: { t: "w1", i: 1 } });
      // The response is read to its end after the terminal event; the socket is back in the pool a turn later.
      await new Promise((r) => setImmediate(r));
    }
    expect(stats.opened).toBe(1);
  });

  it("hands the terminal event to reader.terminal in the turn its frame arrived, before the promise settles", async () => {
    const { client } = await fakeWorker((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(STARTED + TOKEN(0) + END);
    });
    const order: string[] = [];
    const settled = client.infer("p0", { task_id: "t", prompt: "hi", max_tokens: 2 }, new AbortController().signal, 5000, {
      event: (event) => {
        order.push(event.event);
        return true;
      },
      terminal: (event) => {
        order.push(`terminal:${event.event}`);
        // Nothing queued from the frame's turn has run yet: no microtask, no nextTick.
        queueMicrotask(() => order.push("microtask"));
      },
    });
    const terminal = await settled;
    order.push(`resolved:${terminal?.event ?? "null"}`);
    expect(order).toEqual(["started", "token", "terminal:end", "microtask", "resolved:end"]);
  });

  it("reaches a worker at an IPv6 literal address (brackets in the URL and the Host header, not in the connect)", async () => {
    let host: string | undefined;
    const { client } = await fakeWorker((req, res) => {
      host = req.headers.host;
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(STARTED + END);
    }, "::1");
    expect((await collect(client, "t")).map((e) => e.event)).toEqual(["started", "end"]);
    expect(host).toMatch(/^\[::1\]:\d+$/);
  });

  it("closes the connection when the consumer stops before the terminal event", async () => {
    const { client, stats } = await fakeWorker((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(STARTED + TOKEN(0)); // and never ends
    });
    expect((await collect(client, "t", 2)).map((e) => e.event)).toEqual(["started", "token"]);
    await waitFor("the worker connection closed", () => stats.closed === 1);
  });

  it("tells a bad frame, a refusal with its envelope and a cut stream apart", async () => {
    let mode: "bad" | "refused" | "cut" = "bad";
    const { client } = await fakeWorker((_req, res) => {
      if (mode === "refused") {
        res.writeHead(429, { "content-type": "application/json" });
        res.end(JSON.stringify({ code: "ADMISSION_REJECT", message: "busy", retriable: true }));
        return;
      }
      res.writeHead(200, { "content-type": "text/event-stream" });
      if (mode === "bad") res.end(`${STARTED}event: token\ndata: {"t":"x","i":-1}\n\n`);
      else res.end(STARTED + TOKEN(0));
    });
    const failure = async () => {
      try {
        await collect(client, "t");
      } catch (err) {
        return err instanceof UpstreamError ? err.failure : err;
      }
      return null;
    };
    expect(await failure()).toMatchObject({ kind: "protocol" });
    mode = "refused";
    expect(await failure()).toMatchObject({ kind: "refused", status: 429, envelope: { code: "ADMISSION_REJECT", message: "busy" } });
    mode = "cut";
    expect(await failure()).toMatchObject({ kind: "connection", message: "worker stream ended without a terminal event" });
  });
  it("closes a stream that carries more tokens than the task's max_tokens allows, as a protocol failure", async () => {
    // A worker that ignores max_tokens and never ends (found by the fleet adversary): the orchestrator kept
    // every token in the task's event log and died of it within 10 s. 2 × max_tokens + 16 token events is the bound.
    const { client, stats } = await fakeWorker((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(STARTED);
      for (let i = 0; i < 200; i++) res.write(TOKEN(i)); // for max_tokens 2; then it holds the stream open
    });
    const events: SseEvent[] = [];
    const failure = await client
      .infer("p0", { task_id: "t", prompt: "hi", max_tokens: 2 }, new AbortController().signal, 2_000, { event: (event) => events.push(event) > 0 })
      .then(() => null, (err: unknown) => (err instanceof UpstreamError ? err.failure : err));
    expect(failure).toMatchObject({ kind: "protocol", message: expect.stringContaining("more than 20 token events for a task of max_tokens 2") });
    expect(events.filter((e) => e.event === "token")).toHaveLength(20);
    await waitFor("the worker connection closed", () => stats.closed === 1);
  });
});
