import { createHash } from "node:crypto";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { PoolSnapshot } from "../src-shared/nodes/pool-snapshot.js";

// Many nodes through the real node API, for dashboard scale tests: each registers and heartbeats over
// HTTP like a worker, and one shared server answers what the orchestrator calls back on every node
// (a held watch stream with the worker's 1 s ping, health, pool status). No engines: scale of the
// registry and the dashboard feed is what these tests exercise.

export interface NodeFleet {
  readonly ids: readonly string[];
  /**
   * One heartbeat from every node (bounded concurrency); `round` varies the slots so each beat changes
   * something; `extra` adds fields to node i's heartbeat body (e.g. host telemetry); `only` picks the
   * nodes that beat (the others fall silent).
   */
  heartbeatAll(round: number, extra?: (i: number) => Record<string, unknown>, only?: (i: number) => boolean): Promise<void>;
  close(): Promise<void>;
}

const MODEL = "fleet-sim";
const SHA = createHash("sha256").update(MODEL).digest("hex");
const model = { sha256: SHA, name: MODEL, file_name: `${MODEL}.gguf`, size_bytes: 1024, has_chat_template: false, context_length: 4096 };

export const fleetNodeId = (i: number) => `sim-${String(i).padStart(4, "0")}`;

function pool(i: number, round: number): PoolSnapshot {
  return { pool_id: `${fleetNodeId(i)}-p0`, ready: true, draining: false, slots_free: (i + round) % 4, slots_total: 4, vram_free_bytes: ((i + round) % 24) * 2 ** 30, engine: "sim", device_mask: "cpu", models_available: [SHA], model: { sha256: SHA, name: MODEL } };
}

/** Runs `fn` over 0..n-1, `concurrency` at a time. */
async function each(n: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) await fn(next++);
  }));
}

/** Registers `count` nodes on the orchestrator (`api` sends with its credentials) and gives each one heartbeat. */
export interface NodeFleetOptions {
  /** Answer every infer with `started`, then only the 1 s keep-alive: the task runs (holds its slot) until the fleet closes. Default: 404. */
  readonly holdInfers?: boolean;
}

export async function startNodeFleet(api: (path: string, init?: RequestInit) => Promise<Response>, count: number, concurrency = 32, options: NodeFleetOptions = {}): Promise<NodeFleet> {
  const watches = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    const url = req.url ?? "";
    if (options.holdInfers === true && url.endsWith("/infer")) {
      req.resume();
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write('event: started\ndata: {"queue_position":0,"predicted_start_ms":0}\n\n');
      watches.add(res); // pinged with the watches, so the orchestrator's idle bound never fires
      res.on("close", () => watches.delete(res));
      return;
    }
    if (url.endsWith("/v2/watch")) {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(": watching\n\n");
      watches.add(res);
      res.on("close", () => watches.delete(res));
      return;
    }
    const status = /\/v2\/pools\/([^/]+)\/status$/.exec(url);
    if (status !== null) return void res.end(JSON.stringify({ pool_id: decodeURIComponent(status[1] as string), state: "ready", ready: true, draining: false, slots_total: 4, slots_free: 4, model: { sha256: SHA, name: MODEL }, engine: "sim", last_error: null }));
    if (url.endsWith("/health")) return void res.end(JSON.stringify({ status: "ok", version: "sim" }));
    res.statusCode = 404;
    res.end("{}");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  // The real worker's 1 s ping on every watch: the orchestrator fails a watch that stays silent.
  const ping = setInterval(() => {
    for (const res of watches) res.write(": ping\n\n");
  }, 1000);
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const post = async (path: string, body: unknown) => {
    const res = await api(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
  };
  const ids = Array.from({ length: count }, (_, i) => fleetNodeId(i));
  const heartbeatAll = (round: number, extra?: (i: number) => Record<string, unknown>, only?: (i: number) => boolean) =>
    each(count, concurrency, async (i) => only?.(i) === false ? undefined : post(`/v2/nodes/${fleetNodeId(i)}/heartbeat`, { timestamp: new Date().toISOString(), pools: [pool(i, round)], models: [model], ...extra?.(i) }));
  await each(count, concurrency, (i) => post("/v2/nodes/register", { node_id: fleetNodeId(i), machine_id: `m-${fleetNodeId(i)}`, address: `${base}/n/${fleetNodeId(i)}`, pools: [pool(i, 0).pool_id], capabilities: { gpus: [], cpu_cores: 8 }, version: "sim", models: [model] }));
  await heartbeatAll(0);
  return {
    ids,
    heartbeatAll,
    async close() {
      clearInterval(ping);
      for (const res of watches) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
