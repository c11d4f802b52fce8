// Hostile clients against a real orchestrator on loopback, with its timeouts shortened so each cut
// is seen in about a second (the production values are checked in src-node/http-server.test.ts).
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorEnvelopeSchema } from "../../src-shared/errors/error-envelope.js";
import { idleConnections, jsonBodyOf, rawExchange, slowBody, slowHeaders, statusOf } from "../../test-support/hostile-http.js";
import { startTestOrchestrator, TEST_TOKEN, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";

const HEADERS_TIMEOUT_MS = 1000;
const REQUEST_TIMEOUT_MS = 2500;
const CHECK_INTERVAL_MS = 200;
const MAX_CONNECTIONS = 60;
// Scheduling slack on a shared 2-core machine.
const SLACK_MS = 1000;

let orch: TestOrchestrator;
beforeAll(async () => {
  orch = await startTestOrchestrator({}, undefined, {
    serverLimits: { headersTimeoutMs: HEADERS_TIMEOUT_MS, requestTimeoutMs: REQUEST_TIMEOUT_MS, timeoutCheckIntervalMs: CHECK_INTERVAL_MS, maxConnections: MAX_CONNECTIONS },
  });
});
afterAll(async () => {
  await orch.close();
});

const code = (received: string) => ErrorEnvelopeSchema.parse(jsonBodyOf(received)).code;

describe("orchestrator against hostile clients", () => {
  it("cuts 50 slowloris connections (one header byte at a time) within the header timeout, with a 408 envelope", async () => {
    const outcomes = await slowHeaders(orch.url, 50, 100, 10_000);
    for (const o of outcomes) {
      expect(o.closedAfterMs).toBeLessThan(HEADERS_TIMEOUT_MS + CHECK_INTERVAL_MS + SLACK_MS);
      expect(statusOf(o.received)).toBe(408);
      expect(code(o.received)).toBe("REQUEST_TIMEOUT");
    }
    expect((await fetch(`${orch.url}/health`)).status).toBe(200);
  });

  it("cuts an authenticated body sent one byte at a time within the request timeout", async () => {
    const o = await slowBody(orch.url, "POST", "/v2/tasks", { authorization: `Bearer ${TEST_TOKEN}`, "content-type": "application/json" }, 10_000, 100, 15_000);
    expect(o.closedAfterMs).toBeLessThan(REQUEST_TIMEOUT_MS + CHECK_INTERVAL_MS + SLACK_MS);
    expect(statusOf(o.received)).toBe(408);
  });

  it("answers an unauthenticated request 401 at once and closes the connection, even mid-body", async () => {
    const o = await slowBody(orch.url, "POST", "/v2/tasks", { "content-type": "application/json" }, 10_000, 100, 15_000);
    expect(statusOf(o.received)).toBe(401);
    expect(o.received).toMatch(/connection: close/i);
    expect(o.closedAfterMs).toBeLessThan(SLACK_MS);
  });

  it("caps open connections, and serves again once they are gone", async () => {
    const sockets = await idleConnections(orch.url, MAX_CONNECTIONS + 30);
    await new Promise((r) => setTimeout(r, 300));
    const dropped = sockets.filter((s) => s.destroyed || s.readableEnded).length;
    expect(dropped).toBeGreaterThanOrEqual(30);
    for (const s of sockets) s.destroy();
    await new Promise((r) => setTimeout(r, 200));
    expect((await fetch(`${orch.url}/health`)).status).toBe(200);
  });

  it("gives Node's own parser errors the error envelope: 400 malformed, 431 headers too large", async () => {
    const host = new URL(orch.url).host;
    const malformed = await rawExchange(orch.url, `GET /health HTTP/1.1\r\nHost: ${host}\r\nthis is not a header\r\n\r\n`);
    expect(statusOf(malformed.received)).toBe(400);
    expect(code(malformed.received)).toBe("MALFORMED_REQUEST");
    const huge = await rawExchange(orch.url, `GET /health HTTP/1.1\r\nHost: ${host}\r\nX-Big: ${"x".repeat(20_000)}\r\n\r\n`);
    expect(statusOf(huge.received)).toBe(431);
    expect(code(huge.received)).toBe("HEADERS_TOO_LARGE");
  });

  it("treats a malformed session cookie as a bad credential (401), not a 500", async () => {
    const port = new URL(orch.url).port;
    for (const cookie of [`llorch_session_${port}=%E0%A4%A`, `llorch_session_${port}=%`, `llorch_session_${port}=${"%".repeat(5000)}`]) {
      const res = await fetch(`${orch.url}/v2/nodes`, { headers: { cookie } });
      expect(res.status).toBe(401);
      expect(ErrorEnvelopeSchema.parse(await res.json()).code).toBe("BAD_TOKEN");
    }
  });
});

describe("orchestrator with TLS against hostile clients", () => {
  it("closes 20 connections that never start a TLS handshake within the header timeout", async () => {
    const tls = await startTestOrchestrator({ tls: true }, undefined, { serverLimits: { headersTimeoutMs: HEADERS_TIMEOUT_MS, requestTimeoutMs: REQUEST_TIMEOUT_MS, timeoutCheckIntervalMs: CHECK_INTERVAL_MS, maxConnections: MAX_CONNECTIONS } });
    try {
      const port = Number(new URL(tls.url).port);
      const closedAfter = await Promise.all(
        Array.from({ length: 20 }, () =>
          new Promise<number>((resolve) => {
            const started = Date.now();
            const socket = connect(port, "127.0.0.1");
            socket.on("error", () => undefined);
            socket.on("close", () => resolve(Date.now() - started));
            setTimeout(() => {
              socket.destroy();
              resolve(Number.POSITIVE_INFINITY);
            }, 10_000).unref();
          }),
        ),
      );
      for (const ms of closedAfter) expect(ms).toBeLessThan(HEADERS_TIMEOUT_MS + CHECK_INTERVAL_MS + SLACK_MS);
    } finally {
      await tls.close();
    }
  }, 20_000);
});
