// One misbehaving node inside a healthy fleet (node adversary, 2026-11-30). A node with a valid worker
// key and its own registered id heartbeats as fast as it can — keep-alive loops and a connection per
// beat, in a process of its own — while 200 well-behaved nodes beat every second and a client streams
// tokens. Before the per-node limit every one of those beats was processed (~5,000–12,000 a second on
// loopback, 33–88 % of a core; bench/fleet-node-flood.mjs): now past heartbeat_node_max_per_interval a
// beat is answered 429 NODE_RATE_LIMITED before its body is read, held for its interval, and never
// charged to another node. Also: beats for another node's id or made-up ids, re-registering in a loop with a new
// address each time, a worker key on the dashboard stream, huge but valid beats at the body limit.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodeDetailSchema } from "../../src-shared/dashboard/cluster-events.js";
import { ErrorEnvelopeSchema } from "../../src-shared/errors/error-envelope.js";
import { createApiKey } from "../../test-support/api-keys.js";
import { startNodeFleet, type NodeFleet } from "../../test-support/node-fleet.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { sseFrame, startProtocolNode, type ProtocolNode } from "../../test-support/protocol-node.js";

const FLEET = 200;
const PER_INTERVAL = 10;
const FLOOD_CLIENT = fileURLToPath(new URL("../../test-support/heartbeat-flood.mjs", import.meta.url));
const TOKENS = 60;

interface FloodResult {
  sent: number;
  statuses: Record<string, number>;
  retryAfter: string[];
  per_s: number;
  ms: number;
}

let orch: TestOrchestrator;
let fleet: NodeFleet;
let rogue: ProtocolNode;
let streamer: ProtocolNode;
let rogueKey = "";
// The fleet beats every second from start to end (a loop of its own); any answer but 200 to an honest beat is kept here.
const honestFailures: string[] = [];
let beating = true;
let rounds = 0;
let beats: Promise<void> = Promise.resolve();

/** The flood process: `seconds` long, `keepAlive` + `fresh` loops, each beat `pad` bytes of last_error, pools flipping every beat. */
async function flood(nodeId: string, seconds: number, keepAlive: number, fresh: number, pad = 0): Promise<FloodResult> {
  const { stdout } = await promisify(execFile)(process.execPath, [FLOOD_CLIENT, orch.url, rogueKey, nodeId, String(seconds), String(keepAlive), String(fresh), "1000000", String(pad), "flip"], { maxBuffer: 1024 * 1024 });
  return JSON.parse(stdout) as FloodResult;
}

/** Honest-node status changes away from Online, from the orchestrator's node event log lines. */
const honestMarked = () => orch.logs.filter((l) => /"node_id":"sim-\d+"/.test(l) && /Online → (Suspect|Offline)/.test(l));

beforeAll(async () => {
  // The fleet runs in this process, beside the orchestrator: silence bounds wide enough that a slow round on a
  // loaded box (2 cores, other suites) is not taken for the flood's doing; a flood that starved the
  // orchestrator for 10 s would still show. bench/fleet-node-flood.mjs measures with the defaults, each side
  // in its own process.
  orch = await startTestOrchestrator({ pool_probe_interval_ms: 0, heartbeat_node_max_per_interval: PER_INTERVAL, node_register_max_per_min: 20, node_suspect_ms: 10_000, node_timeout_ms: 20_000 });
  rogueKey = (await createApiKey(orch, "rogue worker", ["worker"])).key;
  fleet = await startNodeFleet(orch.api, FLEET);
  rogue = await startProtocolNode({ orchUrl: orch.url, token: rogueKey, nodeId: "rogue", modelName: "rogue-model", slots: 1, poolId: "rogue-p0", onInfer: (res) => res.writeHead(500).end() });
  // An honest node serving the client's stream: a token every 25 ms.
  streamer = await startProtocolNode({
    orchUrl: orch.url,
    token: orch.token,
    nodeId: "streamer",
    modelName: "stream-model",
    slots: 4,
    poolId: "streamer-p0",
    onInfer: (res, body) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(sseFrame("started", { queue_position: 0, predicted_start_ms: 0 }));
      let i = 0;
      const tick = setInterval(() => {
        if (i < body.max_tokens) return void res.write(sseFrame("token", { t: ` t${i}`, i: i++ }));
        clearInterval(tick);
        res.end(sseFrame("end", { tokens_out: i, decode_ms: 1, decode_time_ms: 1, stop_reason: "max_tokens", tokens_in: 2 }));
      }, 25);
      res.on("close", () => clearInterval(tick));
    },
  });
  beats = (async () => {
    for (let round = 1; beating; round++) {
      const t = Date.now();
      await fleet.heartbeatAll(round).catch((err: unknown) => void honestFailures.push(String(err)));
      rounds++;
      await new Promise((r) => setTimeout(r, Math.max(100, 1000 - (Date.now() - t))));
    }
  })();
}, 60_000);

afterAll(async () => {
  beating = false;
  await beats;
  await rogue?.stop();
  await streamer?.stop();
  await fleet?.close();
  await orch?.close();
});

describe("one node flooding heartbeats inside a healthy fleet", () => {
  it("is answered 429 past its own limit, while the fleet stays Online, a stream flows and /health answers", async () => {
    const roundsBefore = rounds;
    let polling = true;
    // A client streams 60 tokens (1.5 s at the node's pace) through the orchestrator during the flood.
    const stream = (async () => {
      const res = await orch.api("/v1/chat/completions", { method: "POST", body: JSON.stringify({ model: "stream-model", stream: true, max_tokens: TOKENS, messages: [{ role: "user", content: "hi" }] }) });
      const text = await res.text();
      return { status: res.status, tokens: (text.match(/ t\d+/g) ?? []).length, done: text.includes("[DONE]") };
    })();
    const health: number[] = [];
    const healthLoop = (async () => {
      while (polling) {
        health.push((await orch.api("/health")).status);
        await new Promise((r) => setTimeout(r, 200));
      }
    })();

    const seconds = 5;
    const result = await flood("rogue", seconds, 16, 8);
    polling = false;
    await healthLoop;
    const streamed = await stream;
    console.log(`node flood: ${result.sent} beats in ${result.ms} ms (${result.per_s}/s), answers ${JSON.stringify(result.statuses)}; fleet rounds ${rounds - roundsBefore}; /health ${health.length} answers`);

    // The rogue node got at most its allowance processed: a burst of PER_INTERVAL, then PER_INTERVAL per 1 s interval
    // (its own once-a-second beats from startProtocolNode included); everything else 429 with Retry-After.
    const processed = result.statuses["200"] ?? 0;
    expect(processed).toBeLessThanOrEqual(PER_INTERVAL + PER_INTERVAL * (result.ms / 1000 + 1));
    expect(result.statuses["429"]).toBeGreaterThan(0);
    expect(Object.keys(result.statuses).sort()).toEqual(["200", "429"]);
    expect(result.retryAfter).toContain("1");
    // Held for the interval: each of the 24 connections is answered about once a second, not thousands of times.
    expect(result.sent).toBeLessThan(24 * (seconds + 1) * 3);

    expect(rounds - roundsBefore).toBeGreaterThanOrEqual(3);
    expect(honestFailures).toEqual([]);
    expect(honestMarked()).toEqual([]);
    expect(health.length).toBeGreaterThan(0);
    expect(health.every((s) => s === 200)).toBe(true);
    expect(streamed).toEqual({ status: 200, tokens: TOKENS, done: true });
    const nodes = (await (await orch.api("/v2/nodes")).json()) as { nodes: { node_id: string; status: string }[] };
    expect(nodes.nodes.filter((n) => n.node_id.startsWith("sim-") && n.status !== "Online")).toEqual([]);
    // The rogue node is alive (its allowed beats keep it Online): limited, not punished.
    expect(nodes.nodes.find((n) => n.node_id === "rogue")?.status).toBe("Online");

    const metrics = await (await orch.api("/metrics")).text();
    // The flood's 429s, plus any of the rogue agent's own once-a-second beats that fell into its spent allowance.
    expect(Number(/orchd_node_heartbeats_total\{node_id="rogue",outcome="rate_limited"\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(result.statuses["429"] ?? 0);
    expect(Number(/orchd_node_heartbeats_total\{node_id="rogue",outcome="rate_limited"\} (\d+)/.exec(metrics)?.[1])).toBeLessThanOrEqual((result.statuses["429"] ?? 0) + seconds + 3);

    // express's path (a trailing slash leaves the fast path) runs the same check: 30 beats at once, at most a burst processed.
    const viaExpress = await Promise.all(Array.from({ length: 30 }, () => fetch(`${orch.url}/v2/nodes/rogue/heartbeat/`, { method: "POST", headers: { authorization: `Bearer ${rogueKey}`, "content-type": "application/json" }, body: JSON.stringify({ timestamp: new Date().toISOString(), pools: [] }) }).then(async (r) => ({ status: r.status, body: await r.text() }))));
    expect(viaExpress.filter((r) => r.status === 200).length).toBeLessThanOrEqual(PER_INTERVAL + 1);
    const limited = viaExpress.find((r) => r.status === 429);
    expect(limited && ErrorEnvelopeSchema.parse(JSON.parse(limited.body))).toMatchObject({ code: "NODE_RATE_LIMITED", retriable: true, details: { reason: "heartbeat_rate", next_heartbeat_ms: 1000 } });
    // Logged a few times a minute, not once per refused beat.
    expect(orch.logs.filter((l) => l.includes("node heartbeats faster than its interval allows")).length).toBeLessThanOrEqual(5);
  }, 60_000);

  it("refuses beats for another node's id (409) or a made-up one (404), slowed to the pace told, and they cost that node nothing", async () => {
    const other = fleet.ids[0] as string;
    // 44 loops for 2 s: before, ~3,000 refusals a second were parsed and answered at once (bench/fleet-node-flood.mjs --target other).
    const result = await flood(other, 2, 4, 40);
    expect(Object.keys(result.statuses)).toEqual(["409"]);
    // Past a burst, each loop gets about one answer a second.
    expect(result.sent).toBeLessThan(PER_INTERVAL + 44 * 3 * 2);
    // More than the other node's allowance was sent in its name: had it been charged, its next beat would be 429.
    expect(result.sent).toBeGreaterThan(PER_INTERVAL * 4);
    const own = await orch.api(`/v2/nodes/${other}/heartbeat`, { method: "POST", body: JSON.stringify({ timestamp: new Date().toISOString(), pools: [] }) });
    expect(own.status).toBe(200);
    const madeUp = await flood("made-up-node", 2, 4, 40);
    expect(Object.keys(madeUp.statuses)).toEqual(["404"]);
    expect(madeUp.sent).toBeLessThan(PER_INTERVAL + 44 * 3 * 2);
    expect(honestFailures).toEqual([]);
  }, 30_000);

  it("answers huge but valid beats (1 MB of last_error) past the limit without reading them", async () => {
    // Eight connections: four sent about as many beats as the allowance takes (~10/s) on a loaded box, so no 429 proved nothing.
    const result = await flood("rogue", 3, 8, 0, 1024 * 1024 - 4096);
    expect(Object.keys(result.statuses).every((s) => s === "200" || s === "429")).toBe(true);
    expect(result.statuses["429"]).toBeGreaterThan(0);
    expect(result.statuses["200"] ?? 0).toBeLessThanOrEqual(PER_INTERVAL * 5);
    expect(honestFailures).toEqual([]);
  }, 30_000);

  it("refuses re-registering in a loop past node_register_max_per_min, so the node's history stays bounded", async () => {
    const eventsBefore = NodeDetailSchema.parse(await (await orch.api("/v2/nodes/rogue")).json()).events.length;
    const statuses: number[] = [];
    let refusal: unknown;
    const started = performance.now();
    for (let i = 0; i < 60; i++) {
      // A new address every time (an agent flipping its address every beat).
      const res = await fetch(`${orch.url}/v2/nodes/register`, { method: "POST", headers: { authorization: `Bearer ${rogueKey}`, "content-type": "application/json" }, body: JSON.stringify({ node_id: "rogue", machine_id: "sim-rogue", address: `http://127.0.0.1:${10_000 + i}`, pools: ["rogue-p0"], capabilities: { gpus: [], cpu_cores: 1 }, version: "sim" }) });
      statuses.push(res.status);
      if (res.status === 429) {
        refusal = { retryAfter: res.headers.get("retry-after"), ...ErrorEnvelopeSchema.parse(await res.json()) };
      } else await res.body?.cancel();
    }
    // A burst of 20, then one every 3 s (20 a minute) for as long as the loop took on this box.
    const allowed = 20 + Math.ceil((performance.now() - started) / 3000);
    const processed = statuses.filter((s) => s === 200).length;
    expect(processed).toBeLessThanOrEqual(allowed);
    expect(statuses.filter((s) => s === 429).length).toBe(60 - processed);
    expect(refusal).toMatchObject({ code: "NODE_RATE_LIMITED", retriable: true, details: { reason: "register_rate" } });
    const eventsAfter = NodeDetailSchema.parse(await (await orch.api("/v2/nodes/rogue")).json()).events.length;
    // One event per processed registration, plus the status changes of a node now registered at a dead address.
    expect(eventsAfter - eventsBefore).toBeLessThanOrEqual(processed + 6);
    const metrics = await (await orch.api("/metrics")).text();
    expect(Number(/orchd_node_registrations_total\{outcome="rate_limited"\} (\d+)/.exec(metrics)?.[1])).toBe(60 - processed);
    // Another id of the same key is not limited by this one's loop.
    const own = await fetch(`${orch.url}/v2/nodes/register`, { method: "POST", headers: { authorization: `Bearer ${rogueKey}`, "content-type": "application/json" }, body: JSON.stringify({ node_id: "rogue-2", machine_id: "sim-rogue-2", address: "http://127.0.0.1:9", pools: ["rogue-2-p0"], capabilities: { gpus: [], cpu_cores: 1 }, version: "sim" }) });
    expect(own.status).toBe(200);
  }, 30_000);

  it("keeps a worker key off the dashboard stream (403: /v2/events needs read)", async () => {
    const res = await fetch(`${orch.url}/v2/events`, { headers: { authorization: `Bearer ${rogueKey}` } });
    expect(res.status).toBe(403);
    expect(ErrorEnvelopeSchema.parse(await res.json()).code).toBe("FORBIDDEN_SCOPE");
  });
});
