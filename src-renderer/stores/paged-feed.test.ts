import { describe, expect, it } from "vitest";
import { ClusterEventSchema, type ClusterEvent, type ClusterStats, type LogEntry } from "../../src-shared/dashboard/cluster-events.js";
import { diffNode, type NodeChangeSet } from "../../src-shared/dashboard/node-delta.js";
import { snapshotFrames, type SnapshotParts } from "../../src-shared/dashboard/snapshot-paging.js";
import type { NodeInfo } from "../../src-shared/nodes/node-info.js";
import { SseParser } from "../../src-shared/streaming/sse-codec.js";
import type { TaskStatus } from "../../src-shared/tasks/task-status.js";
import { applyClusterEvents, createClusterStores, type ClusterStores } from "./cluster.js";

// The dashboard's side of GET /v2/events?protocol=2: a paged snapshot applied page by page, then
// numbered node deltas, must leave the stores exactly as the orchestrator's state.

const SHA = "d".repeat(64);
const stats = (at: number): ClusterStats => ({ at_ms: at, tokens_per_second: 0, requests_per_second: 0, first_token_ms_p50: null, first_token_ms_p95: null, queue_depth: 0, running: 0, nodes_online: 1, nodes_total: 1, pools_ready: 1, pools_total: 1 });
const log = (seq: number): LogEntry => ({ seq, at_ms: seq, level: "info", source: "orchestrator", message: `line ${seq}` });
const id = (i: number) => `node-${String(i).padStart(4, "0")}`;

function node(i: number, over: Partial<NodeInfo> = {}): NodeInfo {
  return {
    node_id: id(i), machine_id: `host-${i}`, address: "http://10.0.0.1:9100", pool_ids: [`${id(i)}.p0`], capabilities: { gpus: [] }, status: "Online", eligibility: "eligible",
    registered_at_ms: 1_000, last_heartbeat_ms: 10_000, last_heartbeat_age_ms: 0, version: "0.1.0",
    pools: [{ pool_id: `${id(i)}.p0`, ready: true, draining: false, slots_free: 2, slots_total: 4, vram_free_bytes: 0, engine: "llamacpp", models_available: [SHA] }],
    models: [], desired_pools: [], ...over,
  };
}

function task(tid: string): TaskStatus {
  return {
    task_id: tid, session_id: "s", state: "queued", workload: "completion", priority: "interactive", engine: "llamacpp", model_ref: "m", model_sha256: null, node_id: null, pool_id: null, queue_position: 0,
    timings: { enqueued_at_ms: 1, started_at_ms: null, first_token_at_ms: null, finished_at_ms: null, queue_wait_ms: null, first_token_ms: null, decode_ms: null },
    tokens_in: null, tokens_out: 0, max_tokens: 10, stop_reason: null, error: null, placement: null, attempts: 0,
  };
}

function parts(nodes: NodeInfo[], seq = 0): SnapshotParts {
  return {
    begin: { node_seq: seq, now_ms: 20_000, stats: stats(100), settings: { placement_strategy: "least-loaded", admission_capacity: 100, admission_policy: "reject", session_token_budget: 0, profile: "home", bind_addr: "127.0.0.1:8080" }, public_url: "http://o:8080", version: "2.0.0" },
    nodes, tasks: [task("t1"), task("t2")], logs: [log(1), log(2), log(3)], stats_history: [stats(98), stats(99), stats(100)],
  };
}

/** SSE text → validated events, as the stream reads them. */
function wire(frames: string[]): ClusterEvent[] {
  const parser = new SseParser();
  return parser.feed(frames.join("")).map((f) => ClusterEventSchema.parse({ event: f.event, data: JSON.parse(f.data) }));
}

/** Applies `events` in batches of `size` (animation frames) and returns the verdicts. */
function applyIn(stores: ClusterStores, events: ClusterEvent[], size: number): string[] {
  const verdicts: string[] = [];
  for (let i = 0; i < events.length; i += size) verdicts.push(applyClusterEvents(stores, events.slice(i, i + size), 30_000));
  return verdicts;
}

const nodesOf = (s: ClusterStores) => s.nodes.getState().ids.map((k) => s.nodes.getState().byId[k]);

describe("paged snapshot and node deltas in the stores", () => {
  const fleet = Array.from({ length: 1000 }, (_, i) => node(i, { last_heartbeat_age_ms: i }));

  for (const size of [1, 3, 1000]) {
    it(`round trip, applied ${size === 1000 ? "all at once" : `${size} frame(s) per animation frame`}: the stores equal the snapshot`, () => {
      const s = createClusterStores();
      expect(applyIn(s, wire([...snapshotFrames(parts(fleet), 8 * 1024)]), size).every((v) => v === "ok")).toBe(true);
      expect(nodesOf(s)).toEqual(fleet);
      expect(Object.keys(s.tasks.getState().byId).sort()).toEqual(["t1", "t2"]);
      expect(s.logs.getState().entries.map((l) => l.seq)).toEqual([1, 2, 3]);
      expect(s.stats.getState().history.map((x) => x.at_ms)).toEqual([98, 99, 100]);
      expect(s.meta.getState()).toMatchObject({ version: "2.0.0", publicUrl: "http://o:8080" });
      expect(s.nodes.getState().clockOffsetMs).toBe(30_000 - 20_000);
      expect(s.paging.current).toBeNull();
    });
  }

  it("applies incrementally: the first page's nodes are in the store before the rest arrives", () => {
    const s = createClusterStores();
    const events = wire([...snapshotFrames(parts(fleet), 8 * 1024)]);
    applyClusterEvents(s, events.slice(0, 2), 30_000);
    const first = s.nodes.getState();
    expect(first.loaded).toBe(true);
    expect(first.ids.length).toBeGreaterThan(0);
    expect(first.ids.length).toBeLessThan(100);
    expect(first.ids[0]).toBe(id(0));
  });

  it("then deltas: the stores follow the orchestrator's state exactly", () => {
    const s = createClusterStores();
    applyIn(s, wire([...snapshotFrames(parts(fleet.slice(0, 50), 7))]), 1000);
    let truth = new Map(fleet.slice(0, 50).map((n) => [n.node_id, n]));
    let seq = 7;
    const frames: ClusterEvent[] = [];
    const change = (next: NodeInfo) => {
      const d = diffNode(truth.get(next.node_id), next) as NodeChangeSet;
      truth.set(next.node_id, next);
      frames.push({ event: "node_delta", data: { seq: ++seq, ...d } });
    };
    for (let round = 1; round <= 3; round++) for (let i = 0; i < 50; i += 3) change({ ...(truth.get(id(i)) as NodeInfo), last_heartbeat_ms: 10_000 + round * 1000, pools: [{ ...(truth.get(id(i)) as NodeInfo).pools[0]!, slots_free: round % 3 }] });
    change({ ...(truth.get(id(4)) as NodeInfo), status: "Offline" });
    change(node(77)); // a new node: a full delta
    truth.delete(id(5));
    frames.push({ event: "node_removed", data: { node_id: id(5), seq: ++seq } });
    expect(applyIn(s, wire(frames.map((f) => `event: ${f.event}\ndata: ${JSON.stringify(f.data)}\n\n`)), 7).every((v) => v === "ok")).toBe(true);
    truth = new Map([...truth.entries()].sort((a, b) => a[0].localeCompare(b[0])));
    expect(nodesOf(s)).toEqual([...truth.values()]);
  });

  it("a second snapshot (a reconnect) drops what it does not list, without emptying the table meanwhile", () => {
    const s = createClusterStores();
    applyIn(s, wire([...snapshotFrames(parts(fleet.slice(0, 200)))]), 1000);
    const events = wire([...snapshotFrames(parts(fleet.slice(100, 300)), 8 * 1024)]);
    applyClusterEvents(s, events.slice(0, 2), 31_000);
    expect(s.nodes.getState().ids.length).toBeGreaterThanOrEqual(200); // old nodes stay until the end
    applyClusterEvents(s, events.slice(2), 31_000);
    expect(nodesOf(s)).toEqual(fleet.slice(100, 300));
  });

  it("a delta that does not apply (a node the store does not have) asks for a resync", () => {
    const s = createClusterStores();
    applyIn(s, wire([...snapshotFrames(parts(fleet.slice(0, 5)))]), 1000);
    expect(applyClusterEvents(s, [{ event: "node_delta", data: { seq: 1, node_id: "ghost", set: { status: "Offline" } } }], 31_000)).toBe("resync");
    expect(applyClusterEvents(s, [{ event: "node_delta", data: { seq: 2, node_id: id(1), set: { status: "Offline" } } }], 31_000)).toBe("ok");
    expect(s.nodes.getState().byId[id(1)]?.status).toBe("Offline");
  });
});
