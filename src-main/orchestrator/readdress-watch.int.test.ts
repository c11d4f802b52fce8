import { createHash } from "node:crypto";
import { createServer, type Server, type ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { NodeListResponseSchema } from "../../src-shared/nodes/node-info.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { waitFor } from "../../test-support/wait-for.js";

// Found by the fleetops adversary (a worker registering again under a new address): the orchestrator's
// watch of a node (GET /v2/watch, its fast crash detection, and what vouches for the node when one task
// stream breaks) stayed on the address the node had left. A new watch was started only on a state change
// while no watch was held, so after a re-registration elsewhere the node was watched at its old address
// for as long as that connection lasted, and not at all once it ended, until some later state change.

const MODEL = "readdress-sim";
const sha256 = createHash("sha256").update(MODEL).digest("hex");

/** One address of the agent: answers the watch with a ping every 200 ms, and counts the watches it holds. */
interface Listener {
  readonly url: string;
  readonly watches: Set<ServerResponse>;
  watchesOpened: number;
  close(): Promise<void>;
}

async function listen(port = 0): Promise<Listener> {
  const watches = new Set<ServerResponse>();
  const l = { watches, watchesOpened: 0 } as { watches: Set<ServerResponse>; watchesOpened: number; url: string; close(): Promise<void> };
  const server: Server = createServer((req, res) => {
    if (req.url === "/v2/watch") {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(": watching\n\n");
      watches.add(res);
      l.watchesOpened++;
      res.on("close", () => watches.delete(res));
      return;
    }
    if (req.url === "/health") return void res.end(JSON.stringify({ status: "ok", version: "sim", node_id: "mover" }));
    res.statusCode = 404;
    res.end("{}");
  });
  const ping = setInterval(() => {
    for (const w of watches) w.write(": ping\n\n");
  }, 200);
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  l.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  l.close = async () => {
    clearInterval(ping);
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return l;
}

let orch: TestOrchestrator | undefined;
const listeners: Listener[] = [];
let beating: NodeJS.Timeout | undefined;
afterEach(async () => {
  clearInterval(beating);
  for (const l of listeners.splice(0)) await l.close();
  await orch?.close();
  orch = undefined;
});

async function register(o: TestOrchestrator, address: string): Promise<void> {
  const model = { sha256, name: MODEL, file_name: `${MODEL}.gguf`, size_bytes: 1024, has_chat_template: false, context_length: 4096 };
  const res = await o.api("/v2/nodes/register", { method: "POST", body: JSON.stringify({ node_id: "mover", machine_id: "sim-mover", address, pools: ["p0"], capabilities: { gpus: [], cpu_cores: 1 }, version: "sim", models: [model] }) });
  expect(res.status).toBe(200);
  await res.body?.cancel();
}

/** A heartbeat as a real agent sends once its inventory is reported: no model list, so it is no state change. */
async function beat(o: TestOrchestrator): Promise<void> {
  const pool = { pool_id: "p0", ready: true, draining: false, slots_free: 1, slots_total: 1, vram_free_bytes: 0, engine: "sim", device_mask: "cpu", models_available: [sha256], model: { sha256, name: MODEL } };
  const res = await o.api("/v2/nodes/mover/heartbeat", { method: "POST", body: JSON.stringify({ timestamp: new Date().toISOString(), pools: [pool] }) });
  await res.body?.cancel();
}

const status = async (o: TestOrchestrator) => NodeListResponseSchema.parse(await (await o.api("/v2/nodes")).json()).nodes.find((n) => n.node_id === "mover")?.status;

describe("a node that registers again under a new address", () => {
  it("is watched at its new address, and no longer at the old one, while the old address still answers", async () => {
    orch = await startTestOrchestrator({ pool_probe_interval_ms: 0 });
    const o = orch;
    const a = await listen();
    const b = await listen();
    listeners.push(a, b);
    await register(o, a.url);
    await beat(o);
    beating = setInterval(() => void beat(o), 500);
    await waitFor("watched at its first address", async () => a.watches.size === 1, 5_000);

    // The agent now advertises another address (a second interface, a new port after a restart of its
    // server); the first one still answers.
    await register(o, b.url);
    await beat(o);
    await waitFor("Online again", async () => (await status(o)) === "Online", 5_000);
    await waitFor("watched at its new address", async () => b.watches.size === 1, 5_000);
    await waitFor("no longer watched at the old one", async () => a.watches.size === 0, 5_000);
    expect(await status(o)).toBe("Online");
  });

  it("is watched at its new address when it comes back there after its old address died", async () => {
    orch = await startTestOrchestrator({ pool_probe_interval_ms: 0 });
    const o = orch;
    const a = await listen();
    listeners.push(a);
    await register(o, a.url);
    await beat(o);
    await waitFor("watched at its first address", async () => a.watches.size === 1, 5_000);

    // The agent dies (its watch drops: Suspect at once); the orchestrator's reconnects to the dead address back off.
    await a.close();
    await waitFor("Suspect", async () => (await status(o)) === "Suspect", 5_000);
    await new Promise((r) => setTimeout(r, 1_200));
    // It comes back on another port.
    const b = await listen();
    listeners.push(b);
    await register(o, b.url);
    await beat(o);
    beating = setInterval(() => void beat(o), 500);
    await waitFor("Online again", async () => (await status(o)) === "Online", 5_000);
    await waitFor("watched at its new address", async () => b.watches.size === 1, 5_000);
  });

  it("is watched again as soon as it is back Online at the same address, not after the reconnect backoff", async () => {
    orch = await startTestOrchestrator({ pool_probe_interval_ms: 0 });
    const o = orch;
    const a = await listen();
    listeners.push(a);
    const port = Number(new URL(a.url).port);
    await register(o, a.url);
    await beat(o);
    await waitFor("watched", async () => a.watches.size === 1, 5_000);

    // Down for 3.8 s (Suspect, not yet Offline at node_timeout_ms 5 s): the reconnects to the dead address
    // back off 0.5, 1, 2 s, then wait 4 s, until ~7.5 s after the drop.
    await a.close();
    listeners.splice(listeners.indexOf(a), 1);
    await new Promise((r) => setTimeout(r, 3_800));
    const back = await listen(port);
    listeners.push(back);
    await register(o, back.url);
    await beat(o);
    beating = setInterval(() => void beat(o), 500);
    await waitFor("Online again", async () => (await status(o)) === "Online", 5_000);
    // Without the wake-up the next reconnect came ~3.5 s later.
    await waitFor("watched again", async () => back.watches.size === 1, 1_500);
  }, 30_000);
});
