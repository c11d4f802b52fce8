// Registration lifecycle of the real agent against a real HTTP server standing in for the
// orchestrator: retry while it is down, register, heartbeat, push on change, re-register on 404,
// deregister on SIGTERM and exit 0.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HeartbeatRequestSchema, type HeartbeatRequest } from "../../src-shared/nodes/heartbeat.js";
import { RegisterNodeRequestSchema, type RegisterNodeRequest } from "../../src-shared/nodes/node-registration.js";
import { testModelPath } from "../../test-support/models.js";
import { killAllWorkers, postJson, startWorker, waitFor, type StartedWorker } from "../../test-support/worker-agent-process.js";

interface Recorded {
  method: string;
  path: string;
  authorization: string | undefined;
  body: unknown;
}

/** A minimal orchestrator: node registry in memory, switchable replies. */
class FakeOrchestrator {
  readonly requests: Recorded[] = [];
  readonly nodes = new Set<string>();
  nextHeartbeatMs = 200;
  private server: Server | undefined;

  constructor(private readonly token: string) {}

  async listen(port: number): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res.writeHead.bind(res), res.end.bind(res)));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
  }

  async close(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  registrations(): RegisterNodeRequest[] {
    return this.requests.filter((r) => r.path === "/v2/nodes/register").map((r) => RegisterNodeRequestSchema.parse(r.body));
  }

  heartbeats(): HeartbeatRequest[] {
    return this.requests.filter((r) => r.path.endsWith("/heartbeat")).map((r) => HeartbeatRequestSchema.parse(r.body));
  }

  private async handle(req: IncomingMessage, writeHead: (status: number, headers: Record<string, string>) => void, end: (body?: string) => void): Promise<void> {
    let text = "";
    for await (const chunk of req) text += String(chunk);
    const path = req.url ?? "";
    this.requests.push({ method: req.method ?? "", path, authorization: req.headers.authorization, body: text === "" ? undefined : JSON.parse(text) });
    const reply = (status: number, body?: unknown): void => {
      writeHead(status, { "content-type": "application/json" });
      end(body === undefined ? undefined : JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${this.token}`) return reply(401, { code: "BAD_TOKEN", message: "no" });
    if (req.method === "POST" && path === "/v2/nodes/register") {
      const body = RegisterNodeRequestSchema.parse(JSON.parse(text));
      this.nodes.add(body.node_id);
      return reply(200, { success: true, message: "registered", node_id: body.node_id, next_heartbeat_ms: this.nextHeartbeatMs });
    }
    const heartbeat = /^\/v2\/nodes\/([^/]+)\/heartbeat$/.exec(path);
    if (req.method === "POST" && heartbeat !== null) {
      if (!this.nodes.has(decodeURIComponent(heartbeat[1] ?? ""))) return reply(404, { code: "NODE_NOT_FOUND", message: "unknown node" });
      return reply(200, { success: true, next_heartbeat_ms: this.nextHeartbeatMs });
    }
    const node = /^\/v2\/nodes\/([^/]+)$/.exec(path);
    if (req.method === "DELETE" && node !== null) {
      const existed = this.nodes.delete(decodeURIComponent(node[1] ?? ""));
      writeHead(existed ? 204 : 404, {});
      return end();
    }
    reply(404, { code: "NOT_FOUND", message: path });
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

let orchestrator: FakeOrchestrator;
let worker: StartedWorker;
let orchestratorPort = 0;

beforeAll(async () => {
  orchestratorPort = await freePort();
  worker = await startWorker({
    models: { "tiny.gguf": testModelPath("tiny") },
    config: {
      node_id: "node-test-1",
      machine_id: "rack1-host3",
      orchestrator_url: `http://127.0.0.1:${orchestratorPort}`,
      heartbeat_interval_secs: 0.2,
      registration_max_backoff_ms: 400,
      pools: [{ id: "a", model: "tiny.gguf", device: "cpu", slots: 1 }],
      shutdown_drain_ms: 2000,
    },
  });
  orchestrator = new FakeOrchestrator(worker.token);
}, 60_000);

afterAll(async () => {
  await killAllWorkers();
  await orchestrator.close();
});

describe("registration lifecycle", () => {
  it("retries registration with backoff while the orchestrator is down, logging why", async () => {
    const failures = await waitFor(
      async () => worker.logs.filter((l) => l.msg === "registration failed; retrying"),
      (lines) => lines.length >= 3,
    );
    expect(String(failures[0]?.reason)).toMatch(/ECONNREFUSED|fetch failed/);
    const delays = failures.map((l) => Number(l.retry_in_ms));
    expect(delays.every((d) => d > 0 && d <= 400 * 1.2)).toBe(true);
  });

  it("registers once the orchestrator is up, with address, pools, capabilities, version and inventory", async () => {
    await orchestrator.listen(orchestratorPort);
    const [registration] = await waitFor(async () => orchestrator.registrations(), (r) => r.length >= 1);
    expect(registration).toMatchObject({
      node_id: "node-test-1",
      machine_id: "rack1-host3",
      address: worker.url,
      pools: ["a"],
      capabilities: { gpus: [], backend: "cpu" },
      version: "0.1.0",
    });
    expect(registration?.capabilities.cpu_cores).toBeGreaterThanOrEqual(1);
    expect(registration?.capabilities.ram_total_bytes).toBeGreaterThan(0);
    expect(registration?.models?.map((m) => m.file_name)).toEqual(["tiny.gguf"]);
    expect(orchestrator.requests.every((r) => r.authorization === `Bearer ${worker.token}`)).toBe(true);
  });

  it("heartbeats at the interval with every pool snapshot", async () => {
    const beats = await waitFor(
      async () => orchestrator.heartbeats(),
      (h) => h.filter((b) => b.pools.some((p) => p.pool_id === "a" && p.ready)).length >= 3,
    );
    const ready = beats.filter((b) => b.pools.some((p) => p.ready)).at(-1);
    const snapshot = ready?.pools.find((p) => p.pool_id === "a");
    expect(snapshot).toMatchObject({ ready: true, draining: false, slots_total: 1, slots_free: 1, engine: "llamacpp" });
    expect(snapshot?.models_available).toHaveLength(1);
    expect(snapshot?.models_available[0]).toBe(snapshot?.model?.sha256);
  });

  it("pushes a heartbeat at once when a pool changes state, without waiting for the interval", async () => {
    // Make the regular interval a minute long; only a pushed heartbeat can arrive now.
    orchestrator.nextHeartbeatMs = 60_000;
    const count = orchestrator.heartbeats().length;
    await waitFor(async () => orchestrator.heartbeats().length, (n) => n > count);
    const before = orchestrator.heartbeats().length;
    orchestrator.nextHeartbeatMs = 200;
    expect((await postJson(`${worker.url}/v2/pools/a/drain`, { deadline_ms: 1000 })).status).toBe(202);
    const pushed = await waitFor(
      async () => orchestrator.heartbeats().slice(before),
      (h) => h.some((b) => b.pools.some((p) => p.pool_id === "a" && !p.ready)),
      10_000,
    );
    expect(pushed.some((b) => b.pools.some((p) => p.pool_id === "a" && (p.draining || !p.ready)))).toBe(true);
    expect((await postJson(`${worker.url}/v2/pools/a/reload`, { model: "tiny.gguf" })).status).toBe(202);
    await waitFor(async () => orchestrator.heartbeats().at(-1), (b) => b?.pools.some((p) => p.pool_id === "a" && p.ready) === true, 15_000);
  });

  it("registers again by itself when a heartbeat answers 404", async () => {
    const registrationsBefore = orchestrator.registrations().length;
    orchestrator.nodes.clear(); // the orchestrator restarted and forgot us
    await waitFor(async () => orchestrator.registrations().length, (n) => n > registrationsBefore);
    // The log line comes over the agent's stdout, which can trail its request on a loaded machine.
    await waitFor(async () => worker.logs.some((l) => l.msg === "heartbeat answered 404; registering again"), (seen) => seen);
    const after = orchestrator.heartbeats().length;
    await waitFor(async () => orchestrator.heartbeats().length, (n) => n >= after + 2);
  });

  it("deregisters on SIGTERM after draining, then exits 0", async () => {
    const exit = await worker.stop("SIGTERM");
    expect(exit).toEqual({ code: 0, signal: null });
    const deletes = orchestrator.requests.filter((r) => r.method === "DELETE");
    expect(deletes.map((r) => r.path)).toEqual(["/v2/nodes/node-test-1"]);
    expect(orchestrator.nodes.has("node-test-1")).toBe(false);
    const lastBeforeDelete = orchestrator.requests.slice(0, orchestrator.requests.indexOf(deletes[0] as Recorded)).filter((r) => r.path.endsWith("/heartbeat")).at(-1);
    expect(HeartbeatRequestSchema.parse(lastBeforeDelete?.body).pools.every((p) => !p.ready)).toBe(true);
  });
});
