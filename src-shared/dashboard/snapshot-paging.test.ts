import { describe, expect, it } from "vitest";
import type { NodeInfo } from "../nodes/node-info.js";
import { SseParser } from "../streaming/sse-codec.js";
import { ClusterEventSchema, type ClusterEvent, type ClusterStats, type LogEntry } from "./cluster-events.js";
import { FeedSequence } from "./feed-sequence.js";
import { snapshotFrames, type SnapshotParts } from "./snapshot-paging.js";

const SHA = "c".repeat(64);
const stats = (at: number): ClusterStats => ({ at_ms: at, tokens_per_second: 0, requests_per_second: 0, first_token_ms_p50: null, first_token_ms_p95: null, queue_depth: 0, running: 0, nodes_online: 1, nodes_total: 1, pools_ready: 1, pools_total: 1 });
const log = (seq: number): LogEntry => ({ seq, at_ms: seq, level: "info", source: "orchestrator", message: `line ${seq} ${"x".repeat(seq % 50)}` });

function node(i: number): NodeInfo {
  const id = `node-${String(i).padStart(4, "0")}`;
  return {
    node_id: id, machine_id: `host-${i}`, address: `http://10.0.${i >> 8}.${i & 255}:9100`, pool_ids: [`${id}.p0`], capabilities: { gpus: [], cpu_cores: 8 },
    status: i % 7 === 0 ? "Suspect" : "Online", eligibility: "eligible", registered_at_ms: 1_000, last_heartbeat_ms: 10_000 + i, last_heartbeat_age_ms: i % 900, version: "0.1.0",
    pools: [{ pool_id: `${id}.p0`, ready: true, draining: false, slots_free: i % 4, slots_total: 4, vram_free_bytes: i * 1024, engine: "llamacpp", models_available: [SHA] }],
    models: Array.from({ length: i % 5 }, (_, k) => ({ sha256: SHA, name: `model-${k}`, file_name: `m${k}.gguf`, size_bytes: 10 + k, has_chat_template: true })),
    desired_pools: [],
  };
}

function parts(nodes: number): SnapshotParts {
  return {
    begin: { node_seq: 42, now_ms: 20_000, stats: stats(100), settings: { placement_strategy: "least-loaded", admission_capacity: 100, admission_policy: "reject", session_token_budget: 0, profile: "home", bind_addr: "127.0.0.1:8080" }, public_url: "http://127.0.0.1:8080", version: "0.1.0" },
    nodes: Array.from({ length: nodes }, (_, i) => node(i)),
    tasks: [],
    logs: Array.from({ length: 120 }, (_, i) => log(i + 1)),
    stats_history: Array.from({ length: 90 }, (_, i) => stats(i + 1)),
  };
}

/** The frames as a client reads them: SSE text split at arbitrary points, parsed, validated by the event schema. */
function read(frames: string[], chunk = 997): ClusterEvent[] {
  const text = frames.join("");
  const parser = new SseParser();
  const out: ClusterEvent[] = [];
  for (let i = 0; i < text.length; i += chunk) for (const f of parser.feed(text.slice(i, i + chunk))) out.push(ClusterEventSchema.parse({ event: f.event, data: JSON.parse(f.data) }));
  return out;
}

/** What the pages add up to. */
function assemble(events: ClusterEvent[]) {
  const seq = new FeedSequence();
  const out = { nodes: [] as unknown[], tasks: [] as unknown[], logs: [] as unknown[], stats_history: [] as unknown[], begin: null as unknown };
  for (const e of events) {
    expect(seq.accept(e)).toBe("apply");
    if (e.event === "snapshot_begin") out.begin = e.data;
    if (e.event === "snapshot_page") out[e.data.kind].push(...e.data.items);
  }
  expect(seq.inSnapshot).toBe(false);
  return out;
}

describe("paged snapshot", () => {
  it("round trip: the pages of 1,000 nodes add up to exactly the snapshot, every page within the bound", () => {
    const p = parts(1000);
    const frames = [...snapshotFrames(p, 16 * 1024)];
    const events = read(frames);
    expect(events[0]?.event).toBe("snapshot_begin");
    expect(events.at(-1)).toEqual({ event: "snapshot_end", data: { pages: events.length - 2 } });
    const got = assemble(events);
    expect(got.nodes).toEqual(p.nodes);
    expect(got.logs).toEqual(p.logs);
    expect(got.stats_history).toEqual(p.stats_history);
    expect(got.tasks).toEqual([]);
    expect(got.begin).toEqual({ ...p.begin, counts: { nodes: 1000, tasks: 0, logs: 120, stats_history: 90 } });
    const pageData = frames.slice(1, -1).map((f) => f.slice(f.indexOf("data: ") + 6).trimEnd());
    expect(pageData.length).toBeGreaterThan(20);
    for (const d of pageData) expect(d.length).toBeLessThanOrEqual(16 * 1024 + 64);
    // Nodes first: the Nodes view fills before anything else arrives.
    expect(events[1]).toMatchObject({ event: "snapshot_page", data: { page: 0, kind: "nodes" } });
  });

  it("an item larger than the bound gets a page of its own; an empty cluster is begin + end", () => {
    const p = parts(3);
    const frames = [...snapshotFrames({ ...p, logs: [], stats_history: [] }, 10)];
    expect(read(frames).map((e) => (e.event === "snapshot_page" ? e.data.items.length : e.event))).toEqual(["snapshot_begin", 1, 1, 1, "snapshot_end"]);
    const empty = read([...snapshotFrames({ ...p, nodes: [], logs: [], stats_history: [] })]);
    expect(empty.map((e) => e.event)).toEqual(["snapshot_begin", "snapshot_end"]);
    expect(assemble(empty).nodes).toEqual([]);
  });
});

describe("FeedSequence: a lost frame means resync", () => {
  const events = read([...snapshotFrames(parts(300), 8 * 1024)]);
  const delta = (seq: number): ClusterEvent => ({ event: "node_delta", data: { seq, node_id: "node-0001", set: { status: "Offline" } } });
  const run = (list: ClusterEvent[]) => {
    const s = new FeedSequence();
    return list.map((e) => s.accept(e));
  };

  it("in order: everything applies, node frames continue from node_seq", () => {
    expect(run([...events, delta(43), { event: "node_removed", data: { node_id: "node-0002", seq: 44 } }, delta(45)]).every((v) => v === "apply")).toBe(true);
  });

  it("a missing page", () => {
    expect(run([...events.slice(0, 3), ...events.slice(4)])).toContain("resync");
  });

  it("a page twice, or pages short of the announced count", () => {
    expect(run([...events.slice(0, 3), events[2] as ClusterEvent, ...events.slice(3)])).toContain("resync");
    // The last page lost and the end frame's page count adjusted to match: the item counts still disagree.
    expect(run([...events.slice(0, -2), { event: "snapshot_end", data: { pages: events.length - 3 } }]).at(-1)).toBe("resync");
  });

  it("a gap in the node frame numbers, or a node frame before any snapshot", () => {
    expect(run([...events, delta(43), delta(45)]).at(-1)).toBe("resync");
    expect(run([...events, delta(42)]).at(-1)).toBe("resync");
    expect(run([delta(1)])).toEqual(["resync"]);
  });

  it("a page outside a snapshot", () => {
    expect(run([events[1] as ClusterEvent])).toEqual(["resync"]);
  });
});
