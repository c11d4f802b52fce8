import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";

// A fleet keeps connections open: every worker agent its heartbeat connection (keep-alive), plus API
// clients and dashboards. With the limit at 1,024, a 1,000-node fleet left room for 24 more and the
// next connection was closed on accept (a client or a heartbeat failing for no reason of its own).
const OPEN = 1_100;
let orch: TestOrchestrator;
const sockets: Socket[] = [];

beforeAll(async () => {
  orch = await startTestOrchestrator();
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await orch?.close();
});

describe("connections held open by a fleet", () => {
  it(`${OPEN} kept-alive connections are all served, and one more client still gets in`, async () => {
    const { hostname, port } = new URL(orch.url);
    const answered = await Promise.all(
      Array.from({ length: OPEN }, () =>
        new Promise<boolean>((resolve) => {
          const socket = connect(Number(port), hostname);
          sockets.push(socket);
          socket.once("data", (d) => resolve(String(d).startsWith("HTTP/1.1 200")));
          socket.once("error", () => resolve(false));
          socket.once("close", () => resolve(false));
          socket.write(`GET /health HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`);
        }),
      ),
    );
    expect(answered.filter(Boolean).length).toBe(OPEN);
    expect((await fetch(`${orch.url}/health`)).status).toBe(200);
  }, 60_000);
});
