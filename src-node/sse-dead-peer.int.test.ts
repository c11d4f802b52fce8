import { connect, type AddressInfo } from "node:net";
import express, { type Response } from "express";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../test-support/wait-for.js";
import { openSse, type SseWriter } from "./sse-writer.js";
import { procSendQueues } from "./tcp-send-queue.js";

// The dead-peer limit of long-lived streams: a client that stops reading is closed once nothing it
// was sent has been acknowledged for the limit, long before the byte bound; an idle client that
// reads stays, kept alive by heartbeat comments. (A peer that vanishes without a FIN is proved
// with a network namespace partition in netns-faults.int.test.ts.)
const HEARTBEAT_MS = 100;
const DEAD_PEER_MS = 1000;
const FRAME = `data: ${"x".repeat(64 * 1024)}\n\n`;

let closeServer: (() => Promise<void>) | null = null;
afterEach(async () => {
  await closeServer?.();
  closeServer = null;
});

async function sseServer(): Promise<{ port: number; next(): Promise<{ sse: SseWriter; res: Response }> }> {
  const waiting: ((s: { sse: SseWriter; res: Response }) => void)[] = [];
  const app = express();
  app.get("/s", (_req, res) => {
    // A byte bound far above anything this test sends: only the dead-peer limit can close the stream.
    const sse = openSse(res, {}, { keepAliveMs: HEARTBEAT_MS, deadPeerMs: DEAD_PEER_MS, maxBufferedBytes: 1024 * 1024 * 1024 });
    waiting.shift()?.({ sse, res });
  });
  const server = app.listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  closeServer = () => {
    server.closeAllConnections();
    return new Promise((r) => server.close(() => r()));
  };
  return { port: (server.address() as AddressInfo).port, next: () => new Promise((resolve) => waiting.push(resolve)) };
}

describe("SSE dead-peer limit", () => {
  it("closes a raw-socket client that stopped reading after the limit, while an idle reading client stays open on heartbeats", async () => {
    const { port, next } = await sseServer();
    const stalledOpened = next();
    const stalledSocket = connect(port, "127.0.0.1", () => stalledSocket.write("GET /s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
    stalledSocket.once("data", () => stalledSocket.pause());
    const stalled = await stalledOpened;

    const idleOpened = next();
    const idleSocket = connect(port, "127.0.0.1", () => idleSocket.write("GET /s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
    let idleText = "";
    idleSocket.on("data", (chunk: Buffer) => (idleText += chunk.toString("latin1")));
    const idle = await idleOpened;

    // Fill the stalled client's kernel buffers (both ends): past that its bytes sit unacknowledged.
    for (let i = 0; i < 512 && stalled.res.writableLength === 0; i++) {
      stalled.sse.write(FRAME);
      await new Promise((r) => setImmediate(r));
    }
    expect(stalled.res.writableLength).toBeGreaterThan(0);
    expect(stalled.res.writableLength).toBeLessThan(64 * 1024 * 1024);
    const sock = stalled.res.socket;
    if (sock !== null) {
      // Where /proc exists (Linux), the kernel's unacknowledged bytes are read for this very socket.
      const unacked = procSendQueues().unacked(sock);
      if (unacked !== undefined) expect(unacked).toBeGreaterThan(0);
    }
    const stalledAt = Date.now();
    await waitFor("the stalled stream closed by the dead-peer limit", () => stalled.sse.closed, 15_000, 20);
    expect(Date.now() - stalledAt).toBeGreaterThanOrEqual(DEAD_PEER_MS - HEARTBEAT_MS);

    // The idle, reading client has seen many heartbeats and is still open after several limits.
    await new Promise((r) => setTimeout(r, 3 * DEAD_PEER_MS));
    expect(idle.sse.closed).toBe(false);
    expect(idleText.split("\n:").length - 1).toBeGreaterThanOrEqual(10);
    idle.sse.close();
    idleSocket.destroy();
    stalledSocket.destroy();
  });
});
