import { createServer as createHttpServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../test-support/wait-for.js";
import { openLivenessStream, type LivenessStream } from "./liveness-stream.js";

// The watch's reader over plain HTTP (a bare socket, not node:http): against a real node:http server it
// sees the status, every ping and the end; against raw servers, a head in pieces, an interim 100, a
// black hole (only the signal ends the wait) and a cut connection.
const TOKEN = "t".repeat(40);
const servers: (Server | ReturnType<typeof createHttpServer>)[] = [];
const rawSockets: Socket[] = [];
afterEach(async () => {
  for (const s of rawSockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) {
    if ("closeAllConnections" in s) s.closeAllConnections();
    await new Promise((r) => s.close(() => r(undefined)));
  }
});

async function listen<S extends Server | ReturnType<typeof createHttpServer>>(server: S): Promise<string> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A node:http SSE server: hands each watch's response and request headers to the test. */
async function sseServer(status = 200) {
  const opened: { res: ServerResponse; headers: IncomingHttpHeaders }[] = [];
  const url = await listen(
    createHttpServer((req, res) => {
      res.writeHead(status, { "content-type": "text/event-stream" });
      if (status !== 200) return void res.end("{}");
      res.write(": watching\n\n");
      opened.push({ res, headers: req.headers });
    }),
  );
  return { url, opened };
}

/** A raw TCP server whose connections the test drives byte by byte. */
async function rawServer() {
  const sockets: Socket[] = [];
  const closed = new Set<Socket>();
  const url = await listen(
    createTcpServer((s) => {
      sockets.push(s);
      rawSockets.push(s);
      s.resume(); // read the request (and the FIN) so a close by the client is seen
      s.on("close", () => closed.add(s));
    }),
  );
  return { url, sockets, closed };
}

function gone(stream: LivenessStream): Promise<Error> {
  return new Promise((resolve) => stream.onGone(resolve));
}

describe("openLivenessStream over plain HTTP", () => {
  it("resolves at the head with the status, reports every chunk, sends the bearer token, and ends when the server ends", async () => {
    const { url, opened } = await sseServer();
    const stream = await openLivenessStream(`${url}/v2/watch`, TOKEN, new AbortController().signal);
    expect(stream.statusCode).toBe(200);
    const w = opened[0];
    expect(w?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(w?.headers.connection).toBe("close");
    let chunks = 0;
    stream.onBytes(() => chunks++);
    const ended = gone(stream);
    for (let i = 1; i <= 3; i++) {
      w?.res.write(": ping\n\n");
      await waitFor(`ping ${i} seen`, () => chunks >= i, 5000, 5);
    }
    w?.res.end();
    expect((await ended).message).toMatch(/watch stream (ended|terminated)/);
  });

  it("a 404 is answered as such (the watcher then stops asking)", async () => {
    const { url } = await sseServer(404);
    const stream = await openLivenessStream(`${url}/v2/watch`, TOKEN, new AbortController().signal);
    expect(stream.statusCode).toBe(404);
    stream.close();
  });

  it("reads a head that arrives in pieces and skips an interim 100", async () => {
    const { url, sockets } = await rawServer();
    const opening = openLivenessStream(`${url}/v2/watch`, TOKEN, new AbortController().signal);
    await waitFor("the connection", () => sockets.length === 1, 5000, 5);
    const s = sockets[0] as Socket;
    s.write("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 2");
    await new Promise((r) => setTimeout(r, 20));
    s.write("00 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n");
    await new Promise((r) => setTimeout(r, 20));
    s.write("\r\n");
    const stream = await opening;
    expect(stream.statusCode).toBe(200);
    let chunks = 0;
    stream.onBytes(() => chunks++);
    s.write("8\r\n: ping\n\n\r\n");
    await waitFor("a ping", () => chunks === 1, 5000, 5);
    const cut = gone(stream);
    s.destroy();
    expect((await cut).message).toMatch(/watch stream (ended|terminated)/);
  });

  it("a black hole (connected, never answers) waits until the signal aborts it, with the signal's reason", async () => {
    const { url, sockets, closed } = await rawServer();
    const abort = new AbortController();
    const opening = openLivenessStream(`${url}/v2/watch`, TOKEN, abort.signal);
    await waitFor("the connection", () => sockets.length === 1, 5000, 5);
    let settled = false;
    void opening.catch(() => undefined).finally(() => (settled = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(settled).toBe(false);
    abort.abort(new Error("silent for 100 ms"));
    await expect(opening).rejects.toThrow("silent for 100 ms");
    await waitFor("the server sees the connection closed", () => closed.has(sockets[0] as Socket), 5000, 5);
  });

  it("an abort after the head ends the stream with the abort's reason and closes the connection", async () => {
    const { url, opened } = await sseServer();
    const abort = new AbortController();
    const stream = await openLivenessStream(`${url}/v2/watch`, TOKEN, abort.signal);
    const ended = gone(stream);
    abort.abort(new Error("stopped"));
    expect((await ended).message).toBe("stopped");
    await waitFor("the server's response closed", () => opened[0]?.res.destroyed === true || opened[0]?.res.writableEnded === true || opened[0]?.res.socket === null, 5000, 5);
  });

  it("refuses a token that would break the request head, and a closed port", async () => {
    await expect(openLivenessStream("http://127.0.0.1:9/v2/watch", "a\r\nX-Evil: 1", new AbortController().signal)).rejects.toThrow(/invalid character/);
    const { url } = await rawServer();
    const port = new URL(url).port;
    await new Promise((r) => (servers.pop() as Server).close(() => r(undefined)));
    await expect(openLivenessStream(`http://127.0.0.1:${port}/v2/watch`, TOKEN, new AbortController().signal)).rejects.toThrow();
  });
});
