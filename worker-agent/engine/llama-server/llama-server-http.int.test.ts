// LlamaServerHttp against a real TCP server written to behave like llama-server's cpp-httplib at the
// edges that matter: kept-alive connections reused between requests, a kept-alive connection closed
// under a request sent on it (which must be sent again on a new connection, not fail the task), and a
// stream sent on a connection of its own.
import { createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { LlamaServerHttp, readText } from "./llama-server-http.js";

const servers: Server[] = [];
const clients: LlamaServerHttp[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/**
 * A server answering each request `ok <connection #>`, kept alive; `dropSecondOnFirst` makes it close
 * its first connection, without a reply, when a second request arrives on it. Records each request's head.
 */
async function server(dropSecondOnFirst: boolean): Promise<{ url: string; heads: string[]; connections: () => number }> {
  const heads: string[] = [];
  let connections = 0;
  const sockets: Socket[] = [];
  const srv = createServer((socket) => {
    sockets.push(socket);
    const n = ++connections;
    let seen = 0;
    let buf = "";
    socket.on("data", (chunk) => {
      buf += chunk.toString("latin1");
      for (let end = buf.indexOf("\r\n\r\n"); end !== -1; end = buf.indexOf("\r\n\r\n")) {
        const head = buf.slice(0, end);
        buf = buf.slice(end + 4);
        seen++;
        if (dropSecondOnFirst && n === 1 && seen === 2) {
          socket.destroy();
          return;
        }
        heads.push(head);
        const body = `ok ${n}`;
        socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nKeep-Alive: timeout=5, max=100\r\n\r\n${body}`);
      }
    });
  });
  srv.on("close", () => sockets.forEach((s) => s.destroy()));
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  servers.push(srv);
  const address = srv.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, heads, connections: () => connections };
}

function client(url: string): LlamaServerHttp {
  const c = new LlamaServerHttp(url);
  clients.push(c);
  return c;
}

describe("LlamaServerHttp", () => {
  it("reuses one kept-alive connection for consecutive requests", async () => {
    const s = await server(false);
    const http = client(s.url);
    const bodies: string[] = [];
    for (let i = 0; i < 3; i++) bodies.push(await readText(await http.send("POST", "/tokenize", "{}")));
    expect(bodies).toEqual(["ok 1", "ok 1", "ok 1"]);
    expect(s.connections()).toBe(1);
  });

  it("sends a request again on a new connection when the kept-alive one was closed under it", async () => {
    const s = await server(true);
    const http = client(s.url);
    expect(await readText(await http.send("POST", "/tokenize", "{}"))).toBe("ok 1");
    const reply = await http.send("POST", "/tokenize", "{}");
    expect(reply.statusCode).toBe(200);
    expect(await readText(reply)).toBe("ok 2");
    expect(s.connections()).toBe(2);
  });

  it("sends a stream on a connection of its own, marked close", async () => {
    const s = await server(false);
    const http = client(s.url);
    await readText(await http.send("POST", "/tokenize", "{}"));
    expect(await readText(await http.send("POST", "/completion", "{}", undefined, true))).toBe("ok 2");
    expect(s.heads[1]).toMatch(/^connection: close$/im);
    expect(s.heads[0]).not.toMatch(/^connection: close$/im);
  });
});
