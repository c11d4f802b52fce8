import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../../../test-support/wait-for.js";
import { KeptAliveStreams, type StreamResponse } from "./kept-alive-streams.js";

// The hand-written worker stream client against a raw TCP server playing the worker, so each case
// controls the bytes and the connection: reuse, the keep-alive race, Connection: close, a worker that
// closes an idle connection, aborts, cuts, refusals.

const SSE_HEAD = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
const chunk = (text: string) => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`;
const WHOLE = `${SSE_HEAD}${chunk("event: end\ndata: {}\n\n")}0\r\n\r\n`;

let server: Server | null = null;
const streams = new KeptAliveStreams();
afterEach(async () => {
  streams.close();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = null;
});

/** A worker answering each request with `answer(socket, n)` (n: the request's number over all connections). */
async function rawWorker(answer: (socket: Socket, n: number, head: string) => void) {
  const stats = { opened: 0, closed: 0, requests: 0 };
  const sockets = new Set<Socket>();
  server = createServer((socket) => {
    stats.opened++;
    sockets.add(socket);
    socket.on("close", () => stats.closed++);
    socket.on("error", () => undefined);
    let buffered = "";
    socket.on("data", (data) => {
      buffered += data.toString("latin1");
      for (;;) {
        const end = buffered.indexOf("\r\n\r\n");
        if (end < 0) return;
        const length = Number(/content-length: (\d+)/i.exec(buffered.slice(0, end))?.[1] ?? 0);
        if (buffered.length < end + 4 + length) return;
        const head = buffered.slice(0, end);
        buffered = buffered.slice(end + 4 + length);
        answer(socket, stats.requests++, head);
      }
    });
  });
  server.on("close", () => sockets.forEach((s) => s.destroy()));
  await new Promise<void>((r) => server?.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  const post = (signal = new AbortController().signal, headers: Record<string, string> = { authorization: "Bearer t" }) => streams.post({ host: "127.0.0.1", port, path: "/v2/pools/p/infer", headers, body: '{"task_id":"t"}' }, signal);
  return { stats, post, sockets };
}

/** Everything a response delivers, and how it ended. */
function read(res: StreamResponse): Promise<{ text: string; ended: "end" | string }> {
  return new Promise((resolve) => {
    let text = "";
    res.on("data", (c) => (text += c));
    res.on("end", () => resolve({ text, ended: "end" }));
    res.on("error", (err) => resolve({ text, ended: err.message }));
  });
}

describe("KeptAliveStreams", () => {
  it("sends the request in the caller's turn and reuses one connection for sequential requests", async () => {
    const heads: string[] = [];
    const { stats, post } = await rawWorker((socket, _n, head) => {
      heads.push(head);
      socket.write(WHOLE);
    });
    for (let i = 0; i < 5; i++) {
      const res = await post();
      expect(res.statusCode).toBe(200);
      expect(await read(res)).toEqual({ text: "event: end\ndata: {}\n\n", ended: "end" });
    }
    expect(stats.opened).toBe(1);
    expect(streams.idleCount()).toBe(1);
    expect(heads[0]).toMatch(/^POST \/v2\/pools\/p\/infer HTTP\/1\.1\r\nHost: 127\.0\.0\.1:\d+\r\nauthorization: Bearer t\r\nContent-Length: 15\r\nConnection: keep-alive$/);
  });

  it("sends a request once more on a new connection when the worker closed the reused one as it went out", async () => {
    const { stats, post } = await rawWorker((socket, n) => {
      if (n === 1) socket.destroy(); // the second request, on the kept connection: closed unanswered
      else socket.write(WHOLE);
    });
    expect((await read(await post())).ended).toBe("end");
    expect((await read(await post())).ended).toBe("end");
    expect(stats.opened).toBe(2);
    expect(stats.requests).toBe(3);
  });

  it("does not retry on a fresh connection, nor once bytes came back: the failure reaches the caller", async () => {
    const { post } = await rawWorker((socket) => socket.destroy());
    await expect(post()).rejects.toMatchObject({ code: "ECONNRESET" });
    server?.close();
    const cut = await rawWorker((socket) => socket.end(`${SSE_HEAD}${chunk("event: token\n")}`));
    expect(await read(await cut.post())).toEqual({ text: "event: token\n", ended: "the connection closed" });
  });

  it("closes a connection the worker marked Connection: close, and drops an idle one the worker closed", async () => {
    const { stats, post, sockets } = await rawWorker((socket, n) => {
      socket.write(n === 0 ? `HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok` : WHOLE);
    });
    expect(await read(await post())).toEqual({ text: "ok", ended: "end" });
    expect(streams.idleCount()).toBe(0);
    expect((await read(await post())).ended).toBe("end");
    expect(stats.opened).toBe(2);
    expect(streams.idleCount()).toBe(1);
    for (const s of sockets) s.end(); // the worker's keep-alive timeout
    await waitFor("the idle connection dropped", () => streams.idleCount() === 0);
    expect((await read(await post())).ended).toBe("end");
    expect(stats.opened).toBe(3);
  });

  it("an abort destroys the connection: before the head the promise rejects with the reason, after it the response errors", async () => {
    const { stats, post } = await rawWorker((socket) => socket.write(`${SSE_HEAD}${chunk("event: started\n\n")}`)); // then silence
    const early = new AbortController();
    const pending = post(early.signal);
    early.abort(new Error("node lost"));
    await expect(pending).rejects.toThrow("node lost");
    const late = new AbortController();
    const res = await post(late.signal);
    const reading = read(res);
    late.abort(new Error("went silent"));
    expect(await reading).toEqual({ text: "event: started\n\n", ended: "went silent" });
    await waitFor("both connections closed", () => stats.closed === stats.opened);
    expect(streams.idleCount()).toBe(0);
  });

  it("refuses a header value that would split the request, before anything is sent", async () => {
    const { stats, post } = await rawWorker((socket) => socket.write(WHOLE));
    expect(() => post(undefined, { authorization: "Bearer t\r\nX-Evil: 1" })).toThrow(/control characters/);
    expect(stats.opened).toBe(0);
  });

  it("a refused connection rejects", async () => {
    await expect(streams.post({ host: "127.0.0.1", port: 9, path: "/", headers: {}, body: "" }, new AbortController().signal)).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });
});
