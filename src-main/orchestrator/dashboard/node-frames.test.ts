import { describe, expect, it } from "vitest";
import { applyNodeDelta } from "../../../src-shared/dashboard/node-delta.js";
import type { HeartbeatRequest } from "../../../src-shared/nodes/heartbeat.js";
import type { NodeInfo } from "../../../src-shared/nodes/node-info.js";
import type { PoolSnapshot } from "../../../src-shared/nodes/pool-snapshot.js";
import { openDatabase } from "../db/database.js";
import { NodeStore } from "../db/node-store.js";
import { PoolDesiredStore } from "../db/pool-desired-store.js";
import { NodeRegistry } from "../registry/node-registry.js";
import { PoolDesiredState } from "../registry/pool-desired-state.js";
import { MODELS_FRAME_GAP_MS, NodeFrames, type NodeFrame } from "./node-frames.js";

// The feed's node frames against a real registry: numbered without gaps over all nodes, a node's first
// frame whole and later ones only what changed, and baseline() + the frames after it = what was sent.

function setup(listening: () => boolean = () => true) {
  let now = 1_000;
  const db = openDatabase(":memory:");
  const registry = new NodeRegistry(new NodeStore(db), new PoolDesiredState(new PoolDesiredStore(db), () => now), () => now);
  const frames: NodeFrame[] = [];
  const nodeFrames = new NodeFrames(registry, (f) => frames.push(f), () => now, listening);
  registry.on("changed", (id, change) => nodeFrames.changed(id, change));
  const pool = (id: string, slotsFree: number): PoolSnapshot => ({ pool_id: `${id}.p`, ready: true, draining: false, slots_free: slotsFree, slots_total: 4, vram_free_bytes: 0, engine: "llamacpp", models_available: [] });
  const hb = (id: string, slotsFree: number): HeartbeatRequest => ({ timestamp: new Date(now).toISOString(), pools: [pool(id, slotsFree)] });
  const add = (id: string) => {
    registry.register({ node_id: id, machine_id: id, address: "http://127.0.0.1:9", pools: [`${id}.p`], capabilities: { gpus: [] } });
    registry.heartbeat(id, hb(id, 4));
  };
  return { registry, frames, nodeFrames, hb, add, advance: (ms: number) => (now += ms) };
}

/** Applies frames to `state` as a client does; throws on a gap or a delta that does not apply. */
function replay(state: Map<string, NodeInfo>, seq: number, frames: readonly NodeFrame[]): number {
  for (const f of frames) {
    const n = f.kind === "node" ? f.delta.seq : f.seq;
    if (n !== seq + 1) throw new Error(`gap: ${seq} then ${n}`);
    seq = n;
    if (f.kind === "removed") state.delete(f.node_id);
    else {
      const next = applyNodeDelta(state.get(f.delta.node_id), f.delta);
      if (next === null) throw new Error(`delta for ${f.delta.node_id} does not apply`);
      state.set(f.delta.node_id, next);
    }
  }
  return seq;
}

describe("NodeFrames", () => {
  it("numbers every frame; a node's first frame is whole, the next carry only what changed", () => {
    const { frames, add, registry, hb, advance } = setup();
    add("a");
    add("b");
    advance(3000);
    registry.heartbeat("a", hb("a", 1)); // a placement fact changed: a frame at once
    const seqs = frames.map((f) => (f.kind === "node" ? f.delta.seq : f.seq));
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    const deltas = frames.flatMap((f) => (f.kind === "node" ? [f.delta] : []));
    expect(deltas.filter((d) => d.node_id === "a").map((d) => d.full === true)).toEqual([true, false, false]);
    const last = deltas.at(-1);
    expect(last?.pools).toEqual([{ pool_id: "a.p", slots_free: 1 }]);
    expect(Object.keys(last?.set ?? {}).sort()).toEqual(["last_heartbeat_ms"]);
    // Every frame's whole node (protocol 1) is exactly the delta applied to the previous one.
    const state = new Map<string, NodeInfo>();
    replay(state, 0, frames);
    const lastWhole = frames.filter((f) => f.kind === "node").at(-1);
    expect(state.get("a")).toEqual(lastWhole?.kind === "node" ? lastWhole.node : null);
  });

  it("baseline() is what the frames so far add up to, and frames after it continue from its number", () => {
    const { frames, add, registry, hb, advance, nodeFrames } = setup();
    for (const id of ["a", "b", "c"]) add(id);
    const replayed = new Map<string, NodeInfo>();
    replay(replayed, 0, frames);
    const base = nodeFrames.baseline();
    expect(base.seq).toBe(frames.length);
    expect(base.nodes).toEqual(["a", "b", "c"].map((id) => replayed.get(id)));
    const from = frames.length;
    advance(10_000);
    registry.heartbeat("b", hb("b", 0));
    registry.forget("c", "test");
    advance(10_000);
    registry.heartbeat("a", hb("a", 4)); // only counters: a refresh, sent now (its last frame is older than the interval)
    const state = new Map(base.nodes.map((n) => [n.node_id, n]));
    expect(replay(state, base.seq, frames.slice(from))).toBe(frames.length);
    expect([...state.keys()].sort()).toEqual(["a", "b"]);
    for (const id of ["a", "b"]) expect(state.get(id)).toEqual(nodeFrames.baseline().nodes.find((n) => n.node_id === id));
    expect(state.get("b")?.pools[0]?.slots_free).toBe(0);
  });

  // A `worker` key alternating two model lists every heartbeat sent each dashboard the whole list (up to
  // ~1 MB) per heartbeat: 19 MB in 1.8 s. A node's list now goes out at most every MODELS_FRAME_GAP_MS;
  // everything else in the frame still goes at once, and the latest list follows at the next flush.
  it("a node's model list goes out at most every MODELS_FRAME_GAP_MS; the rest of the frame at once", () => {
    const { frames, add, registry, hb, advance, nodeFrames } = setup();
    add("a");
    const models = (tag: string) => [{ sha256: tag.repeat(64).slice(0, 64), name: `m-${tag}`, file_name: `${tag}.gguf`, size_bytes: 1, has_chat_template: false }];
    advance(MODELS_FRAME_GAP_MS + 1);
    const from = frames.length;
    for (let i = 0; i < 20; i++) {
      advance(50);
      registry.heartbeat("a", { ...hb("a", i % 4), models: models(i % 2 === 0 ? "b" : "c") });
      nodeFrames.flush();
    }
    const sent = frames.slice(from).flatMap((f) => (f.kind === "node" ? [f.delta] : []));
    // Slot counts changed every beat: frames went out, but one carried a model list (the first).
    expect(sent.length).toBeGreaterThan(10);
    expect(sent.filter((d) => d.set.models !== undefined).map((d) => d.set.models?.[0]?.name)).toEqual(["m-b"]);
    advance(MODELS_FRAME_GAP_MS);
    nodeFrames.flush();
    const last = frames.at(-1);
    expect(last?.kind === "node" ? last.delta.set.models?.[0]?.name : null).toBe("m-c");
    // What the frames add up to is the node as it is now.
    const state = new Map<string, NodeInfo>();
    replay(state, 0, frames);
    expect(state.get("a")?.models.map((m) => m.name)).toEqual(["m-c"]);
    expect(nodeFrames.baseline().nodes[0]?.models.map((m) => m.name)).toEqual(["m-c"]);
  });

  it("a refresh within the interval waits for flush(), then goes out as a delta", () => {
    const { frames, add, registry, hb, advance, nodeFrames } = setup();
    add("a");
    const before = frames.length;
    advance(100);
    registry.heartbeat("a", hb("a", 4)); // nothing but the heartbeat time
    expect(frames.length).toBe(before);
    advance(2500);
    nodeFrames.flush();
    expect(frames.length).toBe(before + 1);
    const f = frames.at(-1);
    expect(f?.kind === "node" ? f.delta : null).toEqual({ seq: before + 1, node_id: "a", set: { last_heartbeat_ms: 1_100, last_heartbeat_age_ms: 2500 } });
  });

  it("while nobody listens, changes are neither described nor sent; baseline() then starts from the registry as it is", () => {
    let listening = true;
    const { frames, add, registry, hb, advance, nodeFrames } = setup(() => listening);
    add("a");
    add("b");
    let described = 0;
    const describe = registry.describe.bind(registry);
    registry.describe = (node, now) => {
      described++;
      return describe(node, now);
    };
    listening = false;
    const before = frames.length;
    advance(3000);
    registry.heartbeat("a", hb("a", 1)); // a placement fact
    registry.heartbeat("b", hb("b", 4)); // a refresh
    add("c"); // a new node
    advance(3000);
    nodeFrames.flush();
    expect(frames.length).toBe(before);
    expect(described).toBe(0);
    // A subscriber arrives: every node is described once, as it is now, at the current frame number.
    listening = true;
    const base = nodeFrames.baseline();
    expect(described).toBe(3);
    expect(base.seq).toBe(before);
    expect(base.nodes).toEqual(registry.list().map((n) => describe(n, 7_000)));
    // No burst: a refresh right after is held for the interval; a change of state goes at once and applies.
    advance(100);
    registry.heartbeat("b", hb("b", 4));
    expect(frames.length).toBe(before);
    const notReady = hb("c", 2);
    registry.heartbeat("c", { ...notReady, pools: notReady.pools.map((p) => ({ ...p, ready: false })) });
    expect(frames.length).toBe(before + 1);
    const state = new Map(base.nodes.map((n) => [n.node_id, n]));
    replay(state, base.seq, frames.slice(before));
    expect(state.get("c")).toEqual(describe(registry.get("c") as NonNullable<ReturnType<typeof registry.get>>, 7_100));
    expect(state.get("c")?.pools[0]?.ready).toBe(false);
    expect(state.get("a")?.pools[0]?.slots_free).toBe(1);
  });
});
