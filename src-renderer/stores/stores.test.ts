import { describe, expect, it } from "vitest";
import type { ClusterEvent, ClusterSnapshot, ClusterStats, LogEntry } from "../../src-shared/dashboard/cluster-events.js";
import type { NodeInfo } from "../../src-shared/nodes/node-info.js";
import type { TaskStatus } from "../../src-shared/tasks/task-status.js";
import { applyClusterEvents, createClusterStores, FrameBatcher } from "./cluster.js";
import { heartbeatAgeMs, slotUsage } from "./nodes-store.js";
import { filterLogs, LOG_CAP } from "./logs-store.js";
import { downsample, STATS_HISTORY_CAP } from "./stats-store.js";
import { boardOrder, MAX_FINISHED_TASKS } from "./tasks-store.js";

const SHA = "a".repeat(64);

function node(id: string, over: Partial<NodeInfo> = {}): NodeInfo {
  return {
    node_id: id,
    machine_id: id,
    address: `http://127.0.0.1:9${id.length}00`,
    pool_ids: [`${id}.p`],
    capabilities: { gpus: [] },
    status: "Online",
    eligibility: "eligible",
    registered_at_ms: 1_000,
    last_heartbeat_ms: 10_000,
    last_heartbeat_age_ms: 0,
    version: "0.1.0",
    pools: [{ pool_id: `${id}.p`, ready: true, draining: false, slots_free: 1, slots_total: 2, vram_free_bytes: 0, engine: "llamacpp", models_available: [SHA] }],
    models: [{ sha256: SHA, name: "m", file_name: "m.gguf", size_bytes: 10, has_chat_template: true }],
    desired_pools: [],
    ...over,
  };
}

function stats(at: number, over: Partial<ClusterStats> = {}): ClusterStats {
  return { at_ms: at, tokens_per_second: 1, requests_per_second: 0, first_token_ms_p50: null, first_token_ms_p95: null, queue_depth: 0, running: 0, nodes_online: 1, nodes_total: 1, pools_ready: 1, pools_total: 1, ...over };
}

function task(id: string, over: Partial<TaskStatus> = {}): TaskStatus {
  return {
    task_id: id,
    session_id: "s",
    state: "queued",
    workload: "completion",
    priority: "interactive",
    engine: "llamacpp",
    model_ref: "m",
    model_sha256: null,
    node_id: null,
    pool_id: null,
    queue_position: 0,
    timings: { enqueued_at_ms: 1, started_at_ms: null, first_token_at_ms: null, finished_at_ms: null, queue_wait_ms: null, first_token_ms: null, decode_ms: null },
    tokens_in: null,
    tokens_out: 0,
    max_tokens: 10,
    stop_reason: null,
    error: null,
    placement: null,
    attempts: 0,
    ...over,
  };
}

function log(seq: number, over: Partial<LogEntry> = {}): LogEntry {
  return { seq, at_ms: seq, level: "info", source: "orchestrator", message: `line ${seq}`, ...over };
}

function snapshot(over: Partial<ClusterSnapshot> = {}): ClusterEvent {
  return {
    event: "snapshot",
    data: {
      nodes: [node("node-b"), node("node-a")],
      tasks: [task("t1")],
      stats: stats(100),
      stats_history: [stats(98), stats(99), stats(100)],
      settings: { placement_strategy: "least-loaded", admission_capacity: 100, admission_policy: "reject", session_token_budget: 0, profile: "home", bind_addr: "127.0.0.1:8080" },
      logs: [log(1), log(2)],
      public_url: "http://127.0.0.1:8080",
      version: "0.1.0",
      ...over,
    },
  };
}

describe("applyClusterEvents", () => {
  it("a snapshot resets every store", () => {
    const s = createClusterStores();
    applyClusterEvents(s, [snapshot()], 10_000);
    expect(s.nodes.getState()).toMatchObject({ loaded: true, ids: ["node-a", "node-b"] });
    expect(Object.keys(s.tasks.getState().byId)).toEqual(["t1"]);
    expect(s.stats.getState().history.map((x) => x.at_ms)).toEqual([98, 99, 100]);
    expect(s.logs.getState().entries).toHaveLength(2);
    expect(s.meta.getState()).toMatchObject({ publicUrl: "http://127.0.0.1:8080", version: "0.1.0", settings: { admission_capacity: 100 } });
  });

  it("deltas after the snapshot in the same batch apply on top; earlier ones are superseded", () => {
    const s = createClusterStores();
    applyClusterEvents(s, [{ event: "node", data: node("stale") }, snapshot(), { event: "node", data: node("node-c") }, { event: "node_removed", data: { node_id: "node-b" } }], 10_000);
    expect(s.nodes.getState().ids).toEqual(["node-a", "node-c"]);
  });

  it("node frames replace one node and keep the id list when membership is unchanged", () => {
    const s = createClusterStores();
    applyClusterEvents(s, [snapshot()], 10_000);
    const idsBefore = s.nodes.getState().ids;
    const b = s.nodes.getState().byId["node-b"];
    applyClusterEvents(s, [{ event: "node", data: node("node-a", { status: "Offline" }) }], 11_000);
    expect(s.nodes.getState().byId["node-a"]?.status).toBe("Offline");
    expect(s.nodes.getState().ids).toBe(idsBefore);
    expect(s.nodes.getState().byId["node-b"]).toBe(b);
  });

  it("node events accumulate per node", () => {
    const s = createClusterStores();
    applyClusterEvents(s, [snapshot()], 10_000);
    applyClusterEvents(
      s,
      [
        { event: "node_event", data: { node_id: "node-a", event: { at_ms: 1, kind: "suspect", message: "x" } } },
        { event: "node_event", data: { node_id: "node-a", event: { at_ms: 2, kind: "offline", message: "y" } } },
      ],
      10_000,
    );
    expect(s.nodes.getState().liveEvents["node-a"]?.map((e) => e.kind)).toEqual(["suspect", "offline"]);
  });

  it("heartbeat age ticks on the local clock corrected for the orchestrator's clock", () => {
    const s = createClusterStores();
    // The server says: last heartbeat at 10 000, 200 ms ago; we receive it at local 50 200 (clock 40 s ahead).
    applyClusterEvents(s, [snapshot({ nodes: [node("n", { last_heartbeat_ms: 10_000, last_heartbeat_age_ms: 200 })] })], 50_200);
    const st = s.nodes.getState();
    const n = st.byId["n"] as NodeInfo;
    expect(heartbeatAgeMs(n, 50_200, st.clockOffsetMs)).toBe(200);
    expect(heartbeatAgeMs(n, 53_200, st.clockOffsetMs)).toBe(3200);
  });

  it("task frames upsert, never resurrect a terminal task, and finished tasks are capped", () => {
    const s = createClusterStores();
    applyClusterEvents(s, [snapshot()], 0);
    applyClusterEvents(s, [{ event: "task", data: task("t1", { state: "running", tokens_out: 3 }) }, { event: "task", data: task("t1", { state: "canceled" }) }], 0);
    applyClusterEvents(s, [{ event: "task", data: task("t1", { state: "running", tokens_out: 4 }) }], 0);
    expect(s.tasks.getState().byId["t1"]?.state).toBe("canceled");
    const many = Array.from({ length: MAX_FINISHED_TASKS + 20 }, (_, i): ClusterEvent => ({ event: "task", data: task(`f${i}`, { state: "completed", timings: { ...task("x").timings, finished_at_ms: i + 10 } }) }));
    applyClusterEvents(s, [...many, { event: "task", data: task("live", { state: "queued" }) }], 0);
    const byId = s.tasks.getState().byId;
    expect(Object.values(byId).filter((t) => t.state !== "queued")).toHaveLength(MAX_FINISHED_TASKS);
    expect(byId["live"]).toBeDefined();
    expect(byId["f0"]).toBeUndefined();
    expect(byId[`f${MAX_FINISHED_TASKS + 19}`]).toBeDefined();
  });

  it("stats append in order, drop duplicates and stay capped at 15 minutes", () => {
    const s = createClusterStores();
    applyClusterEvents(s, [snapshot()], 0);
    applyClusterEvents(s, [{ event: "stats", data: stats(100) }, { event: "stats", data: stats(101, { queue_depth: 3 }) }], 0);
    expect(s.stats.getState().history.map((x) => x.at_ms)).toEqual([98, 99, 100, 101]);
    expect(s.stats.getState().latest?.queue_depth).toBe(3);
    applyClusterEvents(s, Array.from({ length: 1000 }, (_, i): ClusterEvent => ({ event: "stats", data: stats(200 + i) })), 0);
    expect(s.stats.getState().history).toHaveLength(STATS_HISTORY_CAP);
    expect(s.stats.getState().history.at(-1)?.at_ms).toBe(1199);
  });

  it("logs dedupe by sequence number and stay capped", () => {
    const s = createClusterStores();
    applyClusterEvents(s, [snapshot()], 0);
    applyClusterEvents(s, [{ event: "log", data: log(2) }, { event: "log", data: log(3) }], 0);
    expect(s.logs.getState().entries.map((e) => e.seq)).toEqual([1, 2, 3]);
    applyClusterEvents(s, Array.from({ length: LOG_CAP + 10 }, (_, i): ClusterEvent => ({ event: "log", data: log(10 + i) })), 0);
    expect(s.logs.getState().entries).toHaveLength(LOG_CAP);
  });

  it("settings frames replace the settings", () => {
    const s = createClusterStores();
    applyClusterEvents(s, [snapshot()], 0);
    const next = { ...(s.meta.getState().settings as NonNullable<ReturnType<typeof s.meta.getState>["settings"]>), admission_capacity: 7 };
    applyClusterEvents(s, [{ event: "settings", data: next }], 0);
    expect(s.meta.getState().settings?.admission_capacity).toBe(7);
  });

  it("one set per store per batch: a 1000-node heartbeat burst notifies subscribers once", () => {
    const s = createClusterStores();
    applyClusterEvents(s, [snapshot({ nodes: Array.from({ length: 1000 }, (_, i) => node(`n${i}`)) })], 0);
    let notified = 0;
    s.nodes.subscribe(() => notified++);
    applyClusterEvents(s, Array.from({ length: 1000 }, (_, i): ClusterEvent => ({ event: "node", data: node(`n${i}`, { last_heartbeat_ms: 20_000 }) })), 0);
    expect(notified).toBe(1);
    expect(s.nodes.getState().ids).toHaveLength(1000);
  });
});

describe("FrameBatcher", () => {
  it("flushes everything pushed before the frame in one call", () => {
    const frames: (() => void)[] = [];
    const flushed: number[][] = [];
    const batcher = new FrameBatcher<number>((items) => flushed.push(items), (cb) => frames.push(cb));
    batcher.push(1);
    batcher.push(2);
    batcher.push(3);
    expect(frames).toHaveLength(1);
    expect(flushed).toEqual([]);
    frames[0]?.();
    expect(flushed).toEqual([[1, 2, 3]]);
    batcher.push(4);
    expect(frames).toHaveLength(2);
  });
});

describe("derived helpers", () => {
  it("slot usage sums pools", () => {
    expect(slotUsage(node("a"))).toEqual({ busy: 1, total: 2 });
  });

  it("board order: running, then queued by priority and position, then finished newest first", () => {
    const list = [
      task("done-old", { state: "completed", timings: { ...task("x").timings, finished_at_ms: 1 } }),
      task("q-batch", { priority: "batch", queue_position: 0 }),
      task("q2", { queue_position: 1 }),
      task("run", { state: "running" }),
      task("q1", { queue_position: 0 }),
      task("done-new", { state: "failed", timings: { ...task("x").timings, finished_at_ms: 9 } }),
    ];
    expect(list.sort(boardOrder).map((t) => t.task_id)).toEqual(["run", "q1", "q2", "q-batch", "done-new", "done-old"]);
  });

  it("downsample bounds the chart points and keeps the series shape", () => {
    const series = Array.from({ length: 900 }, (_, i) => stats(i, { tokens_per_second: i < 450 ? 0 : 10 }));
    const out = downsample(series, 300, (x) => x.tokens_per_second);
    expect(out).toHaveLength(300);
    expect(out[0]?.value).toBe(0);
    expect(out.at(-1)).toEqual({ at_ms: 899, value: 10 });
    expect(downsample(series.slice(0, 5), 300, (x) => x.tokens_per_second)).toHaveLength(5);
  });

  it("log filter by minimum level and text (message, source or code)", () => {
    const entries = [log(1, { level: "debug" }), log(2, { level: "warn", code: "BAD_TOKEN", message: "auth failed" }), log(3, { level: "error", source: "node-a" })];
    expect(filterLogs(entries, "info", "").map((e) => e.seq)).toEqual([2, 3]);
    expect(filterLogs(entries, "debug", "bad_token").map((e) => e.seq)).toEqual([2]);
    expect(filterLogs(entries, "debug", "NODE-A").map((e) => e.seq)).toEqual([3]);
  });
});
