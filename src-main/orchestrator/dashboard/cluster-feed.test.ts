import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { ClusterEventSchema, type ClusterEvent } from "../../../src-shared/dashboard/cluster-events.js";
import type { Settings } from "../../../src-shared/dashboard/settings.js";
import { FeedSequence } from "../../../src-shared/dashboard/feed-sequence.js";
import { applyNodeDelta } from "../../../src-shared/dashboard/node-delta.js";
import type { NodeInfo } from "../../../src-shared/nodes/node-info.js";
import { SseParser } from "../../../src-shared/streaming/sse-codec.js";
import { openDatabase } from "../db/database.js";
import { NodeStore } from "../db/node-store.js";
import { PoolDesiredStore } from "../db/pool-desired-store.js";
import { LogRing } from "../logging/log-ring.js";
import { NodeRegistry } from "../registry/node-registry.js";
import { PoolDesiredState } from "../registry/pool-desired-state.js";
import type { TaskService } from "../tasks/task-service.js";
import { ClusterFeed } from "./cluster-feed.js";

// The feed's protocol 2 against a real registry: the paged snapshot goes out one page per turn of the
// event loop, node changes made while it is still paging are held back and follow its end in order, so
// a client assembling the stream ends with exactly the registry's nodes. Protocol 1 subscribers keep
// one snapshot frame and whole node frames.

/** No tasks: the feed only asks the task service for lists, counts and events. */
class NoTasks extends EventEmitter {
  list = () => [];
  status = () => {
    throw new Error("no tasks");
  };
  get = () => undefined;
  queueDepth = () => 0;
  activeCount = () => 0;
}

const SETTINGS: Settings = { placement_strategy: "least-loaded", admission_capacity: 100, admission_policy: "reject", session_token_budget: 0, profile: "home", bind_addr: "127.0.0.1:8080" };

function setup(nodes: number) {
  const db = openDatabase(":memory:");
  const registry = new NodeRegistry(new NodeStore(db), new PoolDesiredState(new PoolDesiredStore(db), () => Date.now()), () => Date.now());
  const feed = new ClusterFeed(registry, new NoTasks() as unknown as TaskService, new LogRing(), () => SETTINGS, () => "http://127.0.0.1:8080", "9.9.9");
  const hb = (id: string, slotsFree: number, ready = true) => ({ timestamp: new Date().toISOString(), pools: [{ pool_id: `${id}.p`, ready, draining: false, slots_free: slotsFree, slots_total: 4, vram_free_bytes: 0, engine: "llamacpp", models_available: [] }] });
  const id = (i: number) => `node-${String(i).padStart(4, "0")}`;
  for (let i = 0; i < nodes; i++) {
    registry.register({ node_id: id(i), machine_id: id(i), address: "http://127.0.0.1:9", pools: [`${id(i)}.p`], capabilities: { gpus: [], cpu_cores: 64 }, models: [] });
    registry.heartbeat(id(i), hb(id(i), 4));
  }
  return { registry, feed, hb, id };
}

function parse(text: string): ClusterEvent[] {
  return new SseParser().feed(text).map((f) => ClusterEventSchema.parse({ event: f.event, data: JSON.parse(f.data) }));
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
const withoutAge = (n: NodeInfo) => ({ ...n, last_heartbeat_age_ms: 0 });

describe("ClusterFeed protocol 2", () => {
  it("pages one per turn; changes made meanwhile follow snapshot_end in order; the stream adds up to the registry", async () => {
    const { registry, feed, hb, id } = setup(400);
    const written: string[] = [];
    const unsubscribe = feed.subscribe((frame) => written.push(frame), 2);
    // At once: snapshot_begin and the first page only.
    expect(parse(written.join("")).map((e) => e.event)).toEqual(["snapshot_begin", "snapshot_page"]);
    // Changes while the snapshot is still going out: a state change, a new node, a removal.
    registry.heartbeat(id(3), hb(id(3), 0, false)); // a placement fact: a frame at once
    registry.register({ node_id: "late", machine_id: "late", address: "http://127.0.0.1:9", pools: ["late.p"], capabilities: { gpus: [] } });
    registry.forget(id(7), "test");
    await turn();
    expect(parse(written.join("")).filter((e) => e.event === "snapshot_page").length).toBe(2);
    for (let i = 0; i < 50 && !written.join("").includes("snapshot_end"); i++) await turn();
    const events = parse(written.join(""));
    const end = events.findIndex((e) => e.event === "snapshot_end");
    expect(end).toBeGreaterThan(3);
    // Nothing live before the end; the held frames right after it, numbered from node_seq + 1.
    expect(events.slice(0, end).every((e) => e.event.startsWith("snapshot_"))).toBe(true);
    const after = events.slice(end + 1).map((e) => e.event);
    expect(after.filter((e) => e !== "node_event")).toEqual(["node_delta", "node_delta", "node_removed"]);
    const seq = new FeedSequence();
    const nodes = new Map<string, NodeInfo>();
    for (const e of events) {
      expect(seq.accept(e)).toBe("apply");
      if (e.event === "snapshot_page" && e.data.kind === "nodes") for (const n of e.data.items) nodes.set(n.node_id, n);
      if (e.event === "node_delta") nodes.set(e.data.node_id, applyNodeDelta(nodes.get(e.data.node_id), e.data) as NodeInfo);
      if (e.event === "node_removed") nodes.delete(e.data.node_id);
    }
    const now = Date.now();
    const truth = registry.list().map((n) => withoutAge(registry.describe(n, now)));
    expect([...nodes.values()].sort((a, b) => a.node_id.localeCompare(b.node_id)).map(withoutAge)).toEqual(truth);
    expect(nodes.has("late")).toBe(true);
    expect(nodes.has(id(7))).toBe(false);
    expect(nodes.get(id(3))?.pools[0]?.slots_free).toBe(0);
    unsubscribe();
    feed.stop();
  });

  it("an unsubscribe during paging stops it; protocol 1 gets one snapshot frame and whole node frames", async () => {
    const { registry, feed, hb, id } = setup(400);
    const paged: string[] = [];
    const stop = feed.subscribe((frame) => paged.push(frame), 2);
    stop();
    const before = paged.length;
    for (let i = 0; i < 5; i++) await turn();
    expect(paged.length).toBe(before);
    const old: string[] = [];
    const stopOld = feed.subscribe((frame) => old.push(frame), 1);
    registry.heartbeat(id(1), hb(id(1), 2, false));
    const events = parse(old.join(""));
    expect(events[0]?.event).toBe("snapshot");
    expect(events[0]?.event === "snapshot" ? events[0].data.nodes.length : 0).toBe(400);
    const node = events.find((e) => e.event === "node");
    expect(node?.event === "node" ? node.data.pools[0]?.slots_free : null).toBe(2);
    expect(events.some((e) => e.event === "node_delta" || e.event.startsWith("snapshot_"))).toBe(false);
    stopOld();
    feed.stop();
  });
});
