import { connect } from "node:net";
import type { AddressInfo } from "node:net";
import express, { type Response } from "express";
import { afterEach, describe, expect, it } from "vitest";
import { openSse, type SseWriter } from "./sse-writer.js";

const LIMIT = 256 * 1024;
const FRAME = `data: ${"x".repeat(64 * 1024)}\n\n`;

let closeServer: (() => Promise<void>) | null = null;
afterEach(async () => {
  await closeServer?.();
  closeServer = null;
});

/** An express app whose /s route opens an SSE stream and hands its writer (and response) to the test. */
async function sseServer(): Promise<{ url: string; next(): Promise<{ sse: SseWriter; res: Response }> }> {
  const waiting: ((s: { sse: SseWriter; res: Response }) => void)[] = [];
  const app = express();
  app.get("/s", (_req, res) => {
    const sse = openSse(res, {}, { maxBufferedBytes: LIMIT });
    waiting.shift()?.({ sse, res });
  });
  const server = app.listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  closeServer = () => {
    server.closeAllConnections();
    return new Promise((r) => server.close(() => r()));
  };
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, next: () => new Promise((resolve) => waiting.push(resolve)) };
}

describe("SSE writer backpressure", () => {
  it("disconnects a client that stops reading once its unread bytes pass the bound, while a reading client gets every frame", async () => {
    const { url, next } = await sseServer();
    // The slow client: a raw socket that reads the headers, then nothing more.
    const slowOpened = next();
    const port = Number(new URL(url).port);
    const slowSocket = connect(port, "127.0.0.1", () => slowSocket.write("GET /s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
    slowSocket.once("data", () => slowSocket.pause());
    const slow = await slowOpened;
    // The fast client reads everything.
    const fastOpened = next();
    const fastResponse = fetch(`${url}/s`);
    const fast = await fastOpened;
    let received = 0;
    const reading = (async () => {
      const body = (await fastResponse).body;
      if (body === null) return;
      for await (const chunk of body) received += (chunk as Uint8Array).byteLength;
    })().catch(() => undefined);

    let sent = 0;
    let maxBuffered = 0;
    // Up to 64 MB: far beyond what loopback's kernel buffers absorb, so the slow response's own buffer must grow.
    for (let i = 0; i < 1024 && !slow.sse.closed; i++) {
      slow.sse.write(FRAME);
      fast.sse.write(FRAME);
      sent += Buffer.byteLength(FRAME);
      maxBuffered = Math.max(maxBuffered, slow.res.writableLength);
      await new Promise((r) => setImmediate(r));
    }
    expect(slow.sse.closed).toBe(true);
    expect(maxBuffered).toBeLessThanOrEqual(LIMIT + Buffer.byteLength(FRAME));

    // The reading client is not affected: it keeps receiving after the slow one is gone.
    for (let i = 0; i < 16; i++) {
      fast.sse.write(FRAME);
      sent += Buffer.byteLength(FRAME);
      await new Promise((r) => setTimeout(r, 5));
    }
    const deadline = Date.now() + 5000;
    while (received < sent && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(fast.sse.closed).toBe(false);
    expect(received).toBeGreaterThanOrEqual(sent);
    fast.sse.close();
    await reading;
    slowSocket.destroy();
  });

  it("sends one frame larger than the bound to a client that reads it", async () => {
    const { url, next } = await sseServer();
    const opened = next();
    const response = fetch(`${url}/s`);
    const { sse, res } = await opened;
    const big = `data: ${"y".repeat(LIMIT * 2)}\n\n`;
    sse.write(big);
    const text = (await response).text();
    while (res.writableLength > LIMIT) await new Promise((r) => setTimeout(r, 5));
    sse.write("data: after\n\n");
    sse.close();
    expect(sse.closed).toBe(true);
    const body = await text;
    expect(body.length).toBeGreaterThanOrEqual(big.length);
    expect(body.endsWith("data: after\n\n")).toBe(true);
  });

  // Proxied streams rely on this: node:http corks the socket for a chunked write and uncorks it on the
  // next tick, so the frames of one upstream chunk (handed on within one tick) cost one syscall.
  it("sends the frames written in one tick in one socket write, and each tick's frames in that tick", async () => {
    const { url, next } = await sseServer();
    const opened = next();
    const response = fetch(`${url}/s`);
    const { sse, res } = await opened;
    const text = (await response).text();
    const socket = res.socket as unknown as { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void };
    let socketWrites = 0;
    for (const key of ["_write", "_writev"] as const) {
      const original = socket[key].bind(socket);
      socket[key] = (...args: unknown[]) => {
        socketWrites++;
        original(...args);
      };
    }
    const turn = () => new Promise((r) => setImmediate(r));
    sse.write("data: 1\n\n");
    sse.write("data: 2\n\n");
    sse.write("data: 3\n\n");
    await turn();
    expect(socketWrites).toBe(1);
    sse.write("data: 4\n\n");
    await turn();
    expect(socketWrites).toBe(2);
    sse.close();
    expect(await text).toBe("data: 1\n\ndata: 2\n\ndata: 3\n\ndata: 4\n\n");
  });
});
