import { describe, expect, it } from "vitest";
import { createLimitedServer, ORCHESTRATOR_SERVER_LIMITS, WORKER_SERVER_LIMITS } from "./http-server.js";
import { DEFAULT_BODY_LIMITS } from "./body-deadline.js";

describe("server limits applied to both servers", () => {
  it.each([
    ["orchestrator", ORCHESTRATOR_SERVER_LIMITS],
    ["worker", WORKER_SERVER_LIMITS],
  ] as const)("%s: header timeout, keep-alive, timeout checks, connection cap and the clientError envelope", (_name, limits) => {
    const server = createLimitedServer(() => undefined, limits);
    expect(server.headersTimeout).toBe(limits.headersTimeoutMs);
    expect(server.requestTimeout).toBe(limits.requestTimeoutMs);
    expect(server.keepAliveTimeout).toBe(limits.keepAliveTimeoutMs);
    // The cap is kept by connection-room.ts (closing an idle connection for a new one), not by Node's refusing maxConnections.
    expect(server.listenerCount("connection")).toBeGreaterThanOrEqual(1);
    expect(server.listenerCount("clientError")).toBe(1);
    expect(limits.headersTimeoutMs).toBeLessThanOrEqual(10_000);
    expect(limits.timeoutCheckIntervalMs).toBeLessThanOrEqual(1_000);
    expect(limits.maxConnections).toBeGreaterThan(0);
    server.close();
  });

  it("bounds bodies by the body deadline and the upload rate, not a server-wide request timeout (a 60 s one cut model uploads with 408)", () => {
    expect(WORKER_SERVER_LIMITS.requestTimeoutMs).toBe(0);
    expect(ORCHESTRATOR_SERVER_LIMITS.requestTimeoutMs).toBe(0);
    expect(DEFAULT_BODY_LIMITS.bodyTimeoutMs).toBeLessThanOrEqual(30_000);
    expect(DEFAULT_BODY_LIMITS.uploadMinBytes).toBeGreaterThan(0);
  });
});
