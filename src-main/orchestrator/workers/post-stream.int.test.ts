import { createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { postStream } from "./post-stream.js";

// The keep-alive race: the worker closes an idle pooled connection just as the next request goes out
// on it. A raw TCP server plays that worker exactly: it answers the first request on a connection and
// keeps it open, then drops the connection when a second request arrives on it without answering.
let server: Server | undefined;
const sockets = new Set<Socket>();

afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
  server = undefined;
});

async function racingWorker(): Promise<{ url: string; connections: () => number }> {
  let connections = 0;
  server = createServer((socket: Socket) => {
    connections++;
    sockets.add(socket);
    let requests = 0;
    let buffered = "";
    socket.on("data", (chunk) => {
      buffered += chunk.toString("utf8");
      // One whole request: headers plus its small JSON body.
      const end = buffered.indexOf("\r\n\r\n");
      const length = /content-length: (\d+)/i.exec(buffered)?.[1];
      if (end < 0 || length === undefined || buffered.length < end + 4 + Number(length)) return;
      buffered = "";
      requests++;
      if (requests === 1) socket.write("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok");
      else socket.destroy();
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return { url: `http://127.0.0.1:${address.port}/v2/pools/p/infer`, connections: () => connections };
}

async function read(res: Awaited<ReturnType<typeof postStream>>): Promise<string> {
  let text = "";
  for await (const chunk of res) text += String(chunk);
  return text;
}

describe("postStream on a pooled connection the worker just closed", () => {
  it("sends the request once more on a fresh connection instead of failing", async () => {
    const worker = await racingWorker();
    const signal = new AbortController().signal;
    expect(await read(await postStream(worker.url, "t", '{"n":1}', signal))).toBe("ok");
    // The pooled connection is reused, dropped by the worker, and the request goes out again.
    const second = await postStream(worker.url, "t", '{"n":2}', signal);
    expect(second.statusCode).toBe(200);
    expect(await read(second)).toBe("ok");
    expect(worker.connections()).toBe(2);
  });
});
