import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { listenOnLoopback, type ListeningApp } from "../test-support/listening-app.js";
import { getText } from "./get-text.js";

// getText (the orchestrator's pool probes, node:http instead of fetch) against a real server: the
// answer and its status, the bearer token sent, and every way a probe must fail instead of hanging or
// answering wrongly: no answer in time, a body cut short, a body too large, nobody listening. A stale
// keep-alive socket the server closed is retried once on a fresh connection.

let app: ListeningApp | null = null;
afterEach(async () => {
  await app?.close();
  app = null;
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  app = await listenOnLoopback(handler);
  return app.url;
}

describe("getText", () => {
  it("answers the status and body, with the bearer token sent, for 2xx and refusals alike", async () => {
    const seen: string[] = [];
    const url = await serve((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers.authorization}`);
      res.writeHead(req.url === "/ok" ? 200 : 409, { "content-type": "application/json" });
      res.end(req.url === "/ok" ? '{"state":"ready","é":1}' : '{"code":"CONFLICT","message":"no"}');
    });
    expect(await getText(`${url}/ok`, "tok", 2000)).toEqual({ status: 200, text: '{"state":"ready","é":1}' });
    expect(await getText(`${url}/no`, "tok", 2000)).toEqual({ status: 409, text: '{"code":"CONFLICT","message":"no"}' });
    expect(seen).toEqual(["GET /ok Bearer tok", "GET /no Bearer tok"]);
  });

  it("rejects when no answer arrives in time, and closes the request", async () => {
    const sockets: Socket[] = [];
    const url = await serve((req) => {
      sockets.push(req.socket);
    });
    await expect(getText(`${url}/hang`, "tok", 150)).rejects.toThrow("no answer within 150 ms");
    await expect.poll(() => sockets.every((s) => s.destroyed)).toBe(true);
    expect(sockets.length).toBe(1);
  });

  it("rejects a body cut short, and one larger than its bound", async () => {
    const url = await serve((req, res) => {
      if (req.url === "/cut") {
        res.writeHead(200, { "content-type": "application/json", "content-length": "100" });
        res.write('{"state":');
        setTimeout(() => res.socket?.destroy(), 20);
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(`"${"x".repeat(5000)}"`);
    });
    await expect(getText(`${url}/cut`, "tok", 2000)).rejects.toThrow();
    await expect(getText(`${url}/big`, "tok", 2000, { maxBytes: 1000 })).rejects.toThrow("answer larger than 1000 bytes");
    expect((await getText(`${url}/big`, "tok", 2000)).text.length).toBe(5002);
  });

  it("rejects when nobody listens", async () => {
    const url = await serve((_req, res) => res.end());
    await app?.close();
    app = null;
    await expect(getText(`${url}/x`, "tok", 2000)).rejects.toThrow(/ECONNREFUSED/);
  });

  it("retries once on a fresh connection when the server closed the pooled keep-alive socket", async () => {
    let served = 0;
    const url = await serve((_req, res) => {
      served++;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(`{"n":${served}}`);
    });
    const server = app?.server;
    expect((await getText(`${url}/a`, "tok", 2000)).text).toBe('{"n":1}');
    // The server drops its idle connections without telling the client's pool first: the next request
    // goes out on the pooled socket and is reset (or the pool notices the close first); either way it
    // is answered.
    for (let i = 0; i < 5; i++) {
      server?.closeIdleConnections();
      expect((await getText(`${url}/b`, "tok", 2000)).status).toBe(200);
    }
    expect(served).toBe(6);
  });
});
