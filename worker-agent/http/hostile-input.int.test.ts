// Hostile clients against the worker's HTTP server as the agent composes it (createWorkerApp on
// createLimitedServer with WORKER_SERVER_LIMITS: no server-wide request timeout, because model
// uploads are long), with the timings shortened so each cut is seen in about a second.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLimitedServer, WORKER_SERVER_LIMITS } from "../../src-node/http-server.js";
import { OCTET_STREAM_MEDIA_TYPE } from "../../src-shared/contract/route-spec.js";
import { ErrorEnvelopeSchema } from "../../src-shared/errors/error-envelope.js";
import { idleConnections, jsonBodyOf, rawExchange, slowBody, slowHeaders, statusOf } from "../../test-support/hostile-http.js";
import { createWorkerApp, type WorkerApiDeps } from "./worker-app.js";

const TOKEN = "worker-token-0123456789abcdef0123456789";
const HEADERS_TIMEOUT_MS = 1000;
const CHECK_INTERVAL_MS = 200;
const BODY_TIMEOUT_MS = 1500;
const UPLOAD_INTERVAL_MS = 500;
const MAX_CONNECTIONS = 60;
const SLACK_MS = 1000;

/** Deps the tested paths never reach (auth, timeouts and parser errors come first), except uploads. */
function stubDeps(): WorkerApiDeps {
  const unused = {} as never;
  return {
    nodeId: "hostile-node",
    version: "0.0.0",
    token: TOKEN,
    allowedHosts: [],
    pools: { get: () => undefined, list: () => [] } as unknown as WorkerApiDeps["pools"],
    tasks: unused,
    catalog: unused,
    inPlace: unused,
    pulls: unused,
    grants: unused,
    metrics: unused,
    modelReceiver: {
      handle: async (req: AsyncIterable<Buffer>, res: { json(body: unknown): void }) => {
        let bytes = 0;
        for await (const chunk of req) bytes += chunk.length;
        res.json({ bytes });
      },
    } as unknown as WorkerApiDeps["modelReceiver"],
    reloadPool: () => ({ ok: false, code: "POOL_NOT_FOUND", message: "none" }),
    log: pino({ level: "silent" }),
    bodyLimits: { bodyTimeoutMs: BODY_TIMEOUT_MS, uploadMinBytes: 1024, uploadIntervalMs: UPLOAD_INTERVAL_MS },
  };
}

let server: Server;
let url = "";
beforeAll(async () => {
  server = createLimitedServer(createWorkerApp(stubDeps()), { ...WORKER_SERVER_LIMITS, headersTimeoutMs: HEADERS_TIMEOUT_MS, timeoutCheckIntervalMs: CHECK_INTERVAL_MS, maxConnections: MAX_CONNECTIONS });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const code = (received: string) => ErrorEnvelopeSchema.parse(jsonBodyOf(received)).code;
const auth = { authorization: `Bearer ${TOKEN}` };

describe("worker against hostile clients", () => {
  it("has no server-wide request timeout (uploads), so bodies are bounded in the app", () => {
    expect(WORKER_SERVER_LIMITS.requestTimeoutMs).toBe(0);
    expect(server.requestTimeout).toBe(0);
  });

  it("cuts 50 slowloris connections within the header timeout, with a 408 envelope", async () => {
    const outcomes = await slowHeaders(url, 50, 100, 10_000);
    for (const o of outcomes) {
      expect(o.closedAfterMs).toBeLessThan(HEADERS_TIMEOUT_MS + CHECK_INTERVAL_MS + SLACK_MS);
      expect(statusOf(o.received)).toBe(408);
      expect(code(o.received)).toBe("REQUEST_TIMEOUT");
    }
  });

  it("cuts an authenticated JSON body sent one byte at a time within the body deadline", async () => {
    const o = await slowBody(url, "POST", "/v2/pools/p1/drain", { ...auth, "content-type": "application/json" }, 10_000, 100, 15_000);
    expect(o.closedAfterMs).toBeLessThan(BODY_TIMEOUT_MS + SLACK_MS);
    expect(statusOf(o.received)).toBe(408);
    expect(code(o.received)).toBe("REQUEST_TIMEOUT");
  });

  it("cuts a drip-fed body on a route that never reads it", async () => {
    const o = await slowBody(url, "GET", "/v2/pools", auth, 10_000, 100, 15_000);
    expect(statusOf(o.received)).toBe(200);
    expect(o.closedAfterMs).toBeLessThan(BODY_TIMEOUT_MS + SLACK_MS);
  });

  it("cuts a model upload that trickles below the minimum rate", async () => {
    const o = await slowBody(url, "PUT", `/v2/models/${"0".repeat(64)}`, { ...auth, "content-type": OCTET_STREAM_MEDIA_TYPE }, 1_000_000, 100, 15_000);
    expect(o.closedAfterMs).toBeLessThan(2 * UPLOAD_INTERVAL_MS + SLACK_MS);
    expect(statusOf(o.received)).toBe(408);
  });

  it("answers an unauthenticated request 401 at once and closes the connection, even mid-body", async () => {
    const o = await slowBody(url, "POST", "/v2/pools/p1/drain", { "content-type": "application/json" }, 10_000, 100, 15_000);
    expect(statusOf(o.received)).toBe(401);
    expect(o.closedAfterMs).toBeLessThan(SLACK_MS);
  });

  it("caps open connections", async () => {
    const sockets = await idleConnections(url, MAX_CONNECTIONS + 30);
    await new Promise((r) => setTimeout(r, 300));
    expect(sockets.filter((s) => s.destroyed || s.readableEnded).length).toBeGreaterThanOrEqual(30);
    for (const s of sockets) s.destroy();
    await new Promise((r) => setTimeout(r, 200));
    expect((await fetch(`${url}/health`)).status).toBe(200);
  });

  it("gives Node's own parser errors the error envelope", async () => {
    const malformed = await rawExchange(url, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nnot a header\r\n\r\n");
    expect(statusOf(malformed.received)).toBe(400);
    expect(code(malformed.received)).toBe("MALFORMED_REQUEST");
    const huge = await rawExchange(url, `GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${"x".repeat(20_000)}\r\n\r\n`);
    expect(statusOf(huge.received)).toBe(431);
  });
});
