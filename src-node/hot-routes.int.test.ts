// The hot-route listener's message classes (hot-routes.ts): a server made by createLimitedServer
// builds each request and response with express's prototypes already behind them, so the fast path
// swaps no prototype per request, and express's request/response methods work on both paths.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLimitedServer, ORCHESTRATOR_SERVER_LIMITS } from "./http-server.js";
import { hotRouteListener, type HotListener } from "./hot-routes.js";

let server: Server;
let url = "";
let listener: HotListener;
const seen: { path: string; bornHot: boolean; protoOnChain: boolean }[] = [];

beforeAll(async () => {
  const app = express();
  app.get("/slow", (req, res) => {
    seen.push({ path: req.path, bornHot: req instanceof listener.messageClasses.IncomingMessage, protoOnChain: Object.getPrototypeOf(req) === app.request });
    res.status(200).json({ via: "express" });
  });
  listener = hotRouteListener(app, [
    {
      operationId: "hot",
      method: "POST",
      path: "/hot/{id}",
      hasBody: false,
      chain: [
        (req, res) => {
          seen.push({ path: req.path, bornHot: Object.getPrototypeOf(req) === listener.messageClasses.IncomingMessage.prototype && Object.getPrototypeOf(res) === listener.messageClasses.ServerResponse.prototype, protoOnChain: req instanceof Object.getPrototypeOf(app.request).constructor });
          res.status(200).json({ via: "hot", id: req.params.id, host: req.hostname });
        },
      ],
      onError: (_err, _req, res) => {
        res.status(500).end();
      },
    },
  ]);
  server = createLimitedServer(listener, ORCHESTRATOR_SERVER_LIMITS) as Server;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe("hot-route message classes", () => {
  it("serves the fast path with requests and responses born with express's prototypes", async () => {
    seen.length = 0;
    const res = await fetch(`${url}/hot/n1`, { method: "POST" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(await res.json()).toEqual({ via: "hot", id: "n1", host: "127.0.0.1" });
    expect(seen).toEqual([{ path: "/hot/n1", bornHot: true, protoOnChain: true }]);
  });

  it("still hands every other request to express, which sets its own prototypes", async () => {
    seen.length = 0;
    const res = await fetch(`${url}/slow`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ via: "express" });
    // express's app.handle sets app.request as the prototype, as it does for any request.
    expect(seen).toEqual([{ path: "/slow", bornHot: false, protoOnChain: true }]);
  });
});
