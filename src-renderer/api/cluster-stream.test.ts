import { describe, expect, it } from "vitest";
import type { ClusterEvent } from "../../src-shared/dashboard/cluster-events.js";
import { applyClusterEvents, createClusterStores, FrameBatcher } from "../stores/cluster.js";
import { ClusterStream } from "./cluster-stream.js";
import { waitFor } from "../../test-support/wait-for.js";

const snapshot = {
  nodes: [],
  tasks: [],
  stats: { at_ms: 1, tokens_per_second: 0, requests_per_second: 0, first_token_ms_p50: null, first_token_ms_p95: null, queue_depth: 0, running: 0, nodes_online: 0, nodes_total: 0, pools_ready: 0, pools_total: 0 },
  stats_history: [],
  settings: { placement_strategy: "least-loaded", admission_capacity: 100, admission_policy: "reject", session_token_budget: 0, profile: "home", bind_addr: "127.0.0.1:8080" },
  logs: [],
  public_url: "http://127.0.0.1:8080",
  version: "9.9.9",
};


describe("ClusterStream", () => {
  it("applies the snapshot and deltas from the SSE body and reports live", async () => {
    const stores = createClusterStores();
    const body = `: subscribed\n\nevent: snapshot\ndata: ${JSON.stringify(snapshot)}\n\nevent: node_removed\ndata: {"node_id":"x"}\n\nevent: log\ndata: {"seq":1,"at_ms":1,"level":"info","source":"o","message":"hi"}\n\n`;
    let release: () => void = () => {};
    const hold = new Promise<void>((r) => (release = r));
    const stream = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(new TextEncoder().encode(body));
        await hold;
        controller.close();
      },
    });
    const sync = new FrameBatcher<ClusterEvent>((events) => applyClusterEvents(stores, events, 0), (cb) => cb());
    const client = new ClusterStream(stores, async () => new Response(stream, { status: 200 }), sync);
    client.start();
    await waitFor("the log entry applied", () => stores.logs.getState().entries.length === 1, 1000, 5);
    expect(stores.connection.getState().status).toBe("live");
    expect(stores.meta.getState().version).toBe("9.9.9");
    client.stop();
    release();
  });

  it("shows the login screen state on 401 and stops retrying", async () => {
    const stores = createClusterStores();
    let calls = 0;
    const client = new ClusterStream(stores, async () => {
      calls++;
      return new Response(JSON.stringify({ code: "MISSING_TOKEN", message: "an Authorization: Bearer token is required" }), { status: 401 });
    });
    client.start();
    await waitFor("status unauthorized", () => stores.connection.getState().status === "unauthorized", 1000, 5);
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toBe(1);
  });

  it("reconnects with backoff after a network failure", async () => {
    const stores = createClusterStores();
    const client = new ClusterStream(stores, async () => {
      throw new TypeError("Failed to fetch");
    });
    client.start();
    await waitFor("status reconnecting", () => stores.connection.getState().status === "reconnecting", 1000, 5);
    expect(stores.connection.getState()).toMatchObject({ attempt: 1, lastError: "Failed to fetch" });
    expect(stores.connection.getState().retryAtMs).toBeGreaterThan(Date.now());
    client.stop();
  });

  it("asks for protocol 2 and resyncs at once (a new connection) when a node frame number is skipped", async () => {
    const stores = createClusterStores();
    const begin = { node_seq: 5, now_ms: 1, counts: { nodes: 0, tasks: 0, logs: 0, stats_history: 0 }, stats: snapshot.stats, settings: snapshot.settings, public_url: snapshot.public_url, version: snapshot.version };
    const paged = `event: snapshot_begin\ndata: ${JSON.stringify(begin)}\n\nevent: snapshot_end\ndata: {"pages":0}\n\n`;
    const node = { machine_id: "m", address: "http://a:1", pool_ids: [], capabilities: { gpus: [] }, status: "Online", eligibility: "eligible", registered_at_ms: 1, last_heartbeat_ms: 1, last_heartbeat_age_ms: 0, version: null, pools: [], models: [], desired_pools: [] };
    const bodies = [
      `${paged}event: node_delta\ndata: ${JSON.stringify({ seq: 6, node_id: "a", full: true, set: node })}\n\nevent: node_delta\ndata: ${JSON.stringify({ seq: 8, node_id: "a", set: { status: "Offline" } })}\n\n`,
      paged,
    ];
    const urls: string[] = [];
    const sync = new FrameBatcher<ClusterEvent>((events) => applyClusterEvents(stores, events, 0), (cb) => cb());
    const client = new ClusterStream(
      stores,
      async (url) => {
        urls.push(String(url));
        const text = bodies[urls.length - 1] ?? "";
        return new Response(new ReadableStream<Uint8Array>({ start: (c) => c.enqueue(new TextEncoder().encode(text)) }), { status: 200 });
      },
      sync,
    );
    client.start();
    await waitFor("the second connection", () => urls.length === 2, 1000, 5);
    expect(urls).toEqual(["/v2/events?protocol=2", "/v2/events?protocol=2"]);
    expect(client.resyncs).toBe(1);
    // The delta after the gap was never applied; the node the first connection added is gone after the new snapshot.
    await waitFor("the new snapshot applied", () => stores.nodes.getState().ids.length === 0, 1000, 5);
    expect(stores.connection.getState().status).toBe("live");
    client.stop();
  });

  it("a stream cut mid-snapshot, again and again, backs off (the attempt count grows until a snapshot completes)", async () => {
    const stores = createClusterStores();
    const begin = { node_seq: 0, now_ms: 1, counts: { nodes: 1, tasks: 0, logs: 0, stats_history: 0 }, stats: snapshot.stats, settings: snapshot.settings, public_url: snapshot.public_url, version: snapshot.version };
    const cut = `event: snapshot_begin\ndata: ${JSON.stringify(begin)}\n\n`;
    let calls = 0;
    const sync = new FrameBatcher<ClusterEvent>((events) => applyClusterEvents(stores, events, 0), (cb) => cb());
    const client = new ClusterStream(
      stores,
      async () => {
        calls++;
        // The snapshot's first frame, then the connection ends (the orchestrator dropped it).
        return new Response(new ReadableStream<Uint8Array>({ start: (c) => (c.enqueue(new TextEncoder().encode(cut)), c.close()) }), { status: 200 });
      },
      sync,
    );
    client.start();
    await waitFor("a second cut connection", () => calls >= 2 && stores.connection.getState().status === "reconnecting", 5000, 5);
    // Failures in a row count up (and each waits longer, backoffMs); before, each snapshot_begin reset the count to 0.
    expect(stores.connection.getState().attempt).toBeGreaterThanOrEqual(2);
    client.stop();
  });
});
