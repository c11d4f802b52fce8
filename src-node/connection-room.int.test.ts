// At the connection cap a new connection closes the connection idle the longest, not the one opened
// first (fleet adversary, 2026-11-30). Every worker agent keeps one keep-alive connection for its
// heartbeats, opened at registration: those were the oldest connections, so at the cap each new client
// closed a heartbeat connection used a second ago, whose agent reconnected on its next beat and closed
// the next one (reconnect churn for every new connection, and a heartbeat sent on a socket the server was
// closing failed) while an idle client connection opened later stayed. Now a connection's place is
// renewed with every request it completes.
import { Agent, request, type IncomingMessage } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../test-support/wait-for.js";
import { createLimitedServer, ORCHESTRATOR_SERVER_LIMITS, type Server } from "./http-server.js";

const CAP = 20;
const BEATERS = 12;
const IDLE = 8; // BEATERS + IDLE = CAP: every later client needs room
let server: Server;
let port: number;

beforeAll(async () => {
  server = createLimitedServer((req, res) => {
    req.resume();
    req.on("end", () => res.end("ok"));
  }, { ...ORCHESTRATOR_SERVER_LIMITS, keepAliveTimeoutMs: 30_000, maxConnections: CAP });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** One request on `agent`; resolves with the socket it went on, or "error". */
function send(agent: Agent, method: string): Promise<Socket | "error"> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path: method === "POST" ? "/v2/nodes/n/heartbeat" : "/health", method, agent, headers: { "content-type": "application/json" } }, (res: IncomingMessage) => {
      res.resume();
      res.on("end", () => resolve(req.socket as Socket));
    });
    req.on("error", () => resolve("error"));
    req.end(method === "POST" ? "{}" : undefined);
  });
}

describe("the connection cap with heartbeating agents", () => {
  it("makes room by closing idle client connections, never the heartbeat connections in use", async () => {
    const beaters = Array.from({ length: BEATERS }, () => ({ agent: new Agent({ keepAlive: true, maxSockets: 1 }), sockets: new Set<Socket>(), errors: 0 }));
    const beat = async () => {
      await Promise.all(beaters.map(async (b) => {
        const s = await send(b.agent, "POST");
        if (s === "error") b.errors++;
        else b.sockets.add(s);
      }));
    };
    await beat(); // the heartbeat connections: the oldest
    let beating = true;
    const loop = (async () => {
      while (beating) {
        await beat();
        await new Promise((r) => setTimeout(r, 50));
      }
    })();

    // Clients that make one request and keep their connection idle, up to the cap, then as many more.
    const idle: { agent: Agent; closed: boolean }[] = [];
    for (let i = 0; i < IDLE * 2; i++) {
      const client = { agent: new Agent({ keepAlive: true, maxSockets: 1 }), closed: false };
      const s = await send(client.agent, "GET");
      expect(s).not.toBe("error");
      if (s !== "error") s.once("close", () => (client.closed = true));
      idle.push(client);
      await new Promise((r) => setTimeout(r, 60));
    }
    await waitFor("room made for the later clients", () => idle.filter((c) => c.closed).length >= IDLE, 5000);
    await new Promise((r) => setTimeout(r, 300));
    beating = false;
    await loop;

    // Each agent's heartbeats went on one connection throughout, none failed; the idle clients gave the room.
    expect(beaters.map((b) => ({ sockets: b.sockets.size, errors: b.errors }))).toEqual(beaters.map(() => ({ sockets: 1, errors: 0 })));
    expect(idle.slice(0, IDLE).every((c) => c.closed)).toBe(true);
    for (const b of beaters) b.agent.destroy();
    for (const c of idle) c.agent.destroy();
  }, 30_000);
});
