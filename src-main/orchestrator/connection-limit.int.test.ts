import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";

// A fleet keeps connections open: every worker agent its heartbeat connection (keep-alive), plus API
// clients and dashboards. With the limit at 1,024, a 1,000-node fleet left room for 24 more and the
// next connection was closed on accept (a client or a heartbeat failing for no reason of its own).
const OPEN = 1_100;
// The kernel caps every listen backlog at net.core.somaxconn (4,096 since Linux 5.4; 128 before).
const somaxconn = Number(readFileSync("/proc/sys/net/core/somaxconn", { encoding: "utf8", flag: "r" }).trim());
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

  // Found by the fleet-under-load adversary: with Node's default listen backlog (511), a fleet connecting
  // within one stall of the event loop (a burst after a blip; every agent after a restart) overflowed the
  // kernel's accept queue. Linux drops the SYN past it and the agent retries 1 s, then 3 s later: heartbeats
  // 3 s late on the wire turned healthy nodes Suspect and Offline. The kernel completes and queues
  // handshakes while the process is busy, so the test stalls this process (the orchestrator runs in it)
  // and counts, in another process, how many of 1,000 connections complete before the first SYN retry.
  it.skipIf(!(somaxconn >= 1000))("1,000 agents connecting while its event loop is stalled are all queued by the kernel, none waits for a SYN retry", async () => {
    const { hostname, port } = new URL(orch.url);
    const script = `
      const { connect } = require("node:net");
      process.stdin.once("data", () => {
        let connected = 0;
        const sockets = Array.from({ length: 1000 }, () => connect(${Number(port)}, ${JSON.stringify(hostname)}).on("connect", () => connected++).on("error", () => {}));
        // Before the first SYN retransmission (1 s): a dropped SYN has not come back yet.
        setTimeout(() => { console.log("connected " + connected); for (const s of sockets) s.destroy(); process.exit(0); }, 700);
      });
      console.log("ready");`;
    const child = spawn(process.execPath, ["-e", script], { stdio: ["pipe", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += String(c)));
    await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.stdin.write("go\n");
    // Stall: nothing is accepted until the child has counted (it exits after 700 ms of its own).
    const until = Date.now() + 1500;
    while (Date.now() < until) {
      // busy: the orchestrator's event loop does not run
    }
    await exited;
    expect(Number(/connected (\d+)/.exec(out)?.[1])).toBe(1000);
    expect((await fetch(`${orch.url}/health`)).status).toBe(200);
  }, 60_000);
});
