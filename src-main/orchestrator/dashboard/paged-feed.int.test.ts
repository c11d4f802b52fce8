import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClusterEventSchema, type ClusterEvent } from "../../../src-shared/dashboard/cluster-events.js";
import { FeedSequence } from "../../../src-shared/dashboard/feed-sequence.js";
import { applyNodeDelta } from "../../../src-shared/dashboard/node-delta.js";
import { NodeListResponseSchema, type NodeInfo } from "../../../src-shared/nodes/node-info.js";
import { SseParser } from "../../../src-shared/streaming/sse-codec.js";
import { startNodeFleet, type NodeFleet } from "../../../test-support/node-fleet.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../../test-support/orchestrator-harness.js";
import { waitFor } from "../../../test-support/wait-for.js";

// GET /v2/events at 1,000 nodes registered and heartbeating through the real API: protocol 2's paged
// snapshot reaches its first page well before its end, the pages plus the node deltas that follow add
// up to exactly GET /v2/nodes, and a delta is a fraction of the whole node frame protocol 1 sends for
// the same change (both streams open side by side).

const NODES = 1000;
let orch: TestOrchestrator;
let fleet: NodeFleet;

interface Frame {
  /** The event name, read without parsing the data. */
  name: string;
  at: number;
  bytes: number;
  readonly event: ClusterEvent;
}

interface Feed {
  events: Frame[];
  /** performance.now() when the request went out. */
  t0: number;
  close(): void;
}

/** A raw /v2/events reader: every frame with its arrival time and size on the wire, validated by the event schema. */
function openFeed(query: string): Feed {
  const feed: Feed = { events: [], t0: performance.now(), close: () => undefined };
  const parser = new SseParser();
  const req = request(`${orch.url}/v2/events${query}`, { headers: { authorization: `Bearer ${orch.token}`, accept: "text/event-stream" } }, (res) => {
    res.setEncoding("utf8");
    res.on("data", (chunk: string) => {
      const at = performance.now();
      for (const f of parser.feed(chunk)) {
        // Parsed (and validated) on first read: parsing here would hold back reading the next chunk in this process.
        let parsed: ClusterEvent | undefined;
        feed.events.push({
          name: f.event,
          at,
          bytes: Buffer.byteLength(`event: ${f.event}\ndata: ${f.data}\n\n`),
          get event() {
            return (parsed ??= ClusterEventSchema.parse({ event: f.event, data: JSON.parse(f.data) }));
          },
        });
      }
    });
  });
  req.on("error", () => undefined);
  req.end();
  feed.close = () => req.destroy();
  return feed;
}

const withoutAge = (nodes: readonly NodeInfo[]) => [...nodes].sort((a, b) => a.node_id.localeCompare(b.node_id)).map(({ last_heartbeat_age_ms: _age, ...rest }) => rest);

async function listNodes(): Promise<NodeInfo[]> {
  return NodeListResponseSchema.parse(await (await orch.api("/v2/nodes")).json()).nodes;
}

/** Node state as a protocol 2 client assembles it from the frames so far; throws on any frame out of sequence. */
function assemble(feed: Feed): Map<string, NodeInfo> {
  const seq = new FeedSequence();
  const nodes = new Map<string, NodeInfo>();
  for (const { event: e } of feed.events) {
    if (seq.accept(e) !== "apply") throw new Error(`frame out of sequence: ${e.event}`);
    if (e.event === "snapshot_page" && e.data.kind === "nodes") for (const n of e.data.items) nodes.set(n.node_id, n);
    else if (e.event === "node_delta") {
      const next = applyNodeDelta(nodes.get(e.data.node_id), e.data);
      if (next === null) throw new Error(`delta for ${e.data.node_id} does not apply`);
      nodes.set(e.data.node_id, next);
    } else if (e.event === "node_removed") nodes.delete(e.data.node_id);
  }
  return nodes;
}

describe("dashboard feed at 1,000 nodes", () => {
  beforeAll(async () => {
    // Failure detection is not under test: silence bounds long enough that a slow round on a loaded box keeps every node.
    orch = await startTestOrchestrator({ log_level: "warn", node_suspect_ms: 60_000, node_timeout_ms: 120_000, pool_probe_interval_ms: 0 });
    fleet = await startNodeFleet((path, init) => orch.api(path, init), NODES);
  }, 120_000);

  afterAll(async () => {
    await fleet?.close();
    await orch?.close();
  });

  it("refuses an unknown protocol with the error envelope", async () => {
    const res = await orch.api("/v2/events?protocol=3");
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: "INVALID_PARAMS" });
  });

  it("pages the snapshot: the first page arrives well before the whole, and the pages equal GET /v2/nodes", async () => {
    // Protocol 1 for comparison: one frame.
    const v1 = openFeed("");
    await waitFor("the protocol 1 snapshot", () => v1.events.some((e) => e.name === "snapshot"), 30_000);
    v1.close();
    const one = v1.events.find((e) => e.name === "snapshot") as Frame;

    const v2 = openFeed("?protocol=2");
    await waitFor("snapshot_end", () => v2.events.some((e) => e.name === "snapshot_end"), 30_000);
    v2.close();
    const firstPage = v2.events.find((e) => e.name === "snapshot_page") as Frame;
    const end = v2.events.find((e) => e.name === "snapshot_end") as Frame;
    const snapshotFrames = v2.events.slice(0, v2.events.indexOf(end) + 1);
    const pages = snapshotFrames.filter((e) => e.name === "snapshot_page");
    const bytes = snapshotFrames.reduce((n, e) => n + e.bytes, 0);
    const firstMs = firstPage.at - v2.t0;
    const fullMs = end.at - v2.t0;
    console.log(`paged snapshot at ${NODES} nodes: ${pages.length} pages, ${(bytes / 1024).toFixed(0)} KiB, largest page ${(Math.max(...pages.map((p) => p.bytes)) / 1024).toFixed(1)} KiB; first page ${firstMs.toFixed(1)} ms, whole ${fullMs.toFixed(1)} ms (protocol 1: one ${(one.bytes / 1024).toFixed(0)} KiB frame in ${(one.at - v1.t0).toFixed(1)} ms)`);
    expect(pages.length).toBeGreaterThan(10);
    for (const p of pages) expect(p.bytes).toBeLessThan(70 * 1024);
    // The pages go out one per turn of the event loop, so the first lands well before the last, in a
    // read of its own (the client applies it while the rest is still on its way).
    expect(firstMs).toBeLessThan(fullMs * 0.75);
    expect(new Set(pages.map((p) => p.at)).size).toBeGreaterThan(2);
    const assembled = assemble({ ...v2, events: snapshotFrames });
    expect(assembled.size).toBe(NODES);
    // No heartbeat since the fleet started: every node's last frame is its current state.
    expect(withoutAge([...assembled.values()])).toEqual(withoutAge(await listNodes()));
  }, 90_000);

  it("node deltas keep the assembled state equal to GET /v2/nodes, at a fraction of protocol 1's node frames", async () => {
    const v1 = openFeed("");
    const v2 = openFeed("?protocol=2");
    try {
      await waitFor("both snapshots", () => v1.events.some((e) => e.name === "snapshot") && v2.events.some((e) => e.name === "snapshot_end"), 30_000);
      // Two heartbeat rounds that change every node's pool, then silence until every refresh frame is out.
      for (const round of [1, 2]) await fleet.heartbeatAll(round);
      const list = withoutAge(await listNodes());
      await waitFor("the assembled state equals GET /v2/nodes", () => JSON.stringify(withoutAge([...assemble(v2).values()])) === JSON.stringify(list), 30_000, 250);
      const full = v1.events.filter((e) => e.name === "node");
      const deltas = v2.events.filter((e) => e.name === "node_delta");
      const sum = (xs: Frame[]) => xs.reduce((n, e) => n + e.bytes, 0);
      console.log(`node frames for the same changes: ${deltas.length} deltas, ${sum(deltas)} bytes (${(sum(deltas) / Math.max(1, deltas.length)).toFixed(0)} B each) vs ${full.length} whole node frames, ${sum(full)} bytes (${(sum(full) / Math.max(1, full.length)).toFixed(0)} B each)`);
      expect(deltas.length).toBeGreaterThan(0);
      expect(deltas.length).toBe(full.length);
      expect(sum(deltas) * 3).toBeLessThan(sum(full));
    } finally {
      v1.close();
      v2.close();
    }
  }, 120_000);
});
