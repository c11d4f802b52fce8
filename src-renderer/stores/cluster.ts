import type { ClusterEvent, ClusterStats, LogEntry, SnapshotBegin } from "../../src-shared/dashboard/cluster-events.js";
import type { Settings } from "../../src-shared/dashboard/settings.js";
import type { StagingJob } from "../../src-shared/staging/staging-job.js";
import type { TaskStatus } from "../../src-shared/tasks/task-status.js";
import { createConnectionStore } from "./connection-store.js";
import { createLogsStore } from "./logs-store.js";
import { createMetaStore } from "./meta-store.js";
import { createNodesStore, type NodesDelta } from "./nodes-store.js";
import { createStagingStore } from "./staging-store.js";
import { createStatsStore } from "./stats-store.js";
import { createTasksStore } from "./tasks-store.js";

/** A paged snapshot being applied: what its pages listed so far (the rest is dropped at its end). */
export interface SnapshotInProgress {
  begin: SnapshotBegin;
  nodeIds: Set<string>;
  taskIds: Set<string>;
  logs: LogEntry[];
  statsHistory: ClusterStats[];
}

/** One zustand store per domain; the cluster stream writes them, views read them. */
export function createClusterStores() {
  return {
    /** Not a store: the paged snapshot under way, if any (views never read it). */
    paging: { current: null as SnapshotInProgress | null },
    nodes: createNodesStore(),
    tasks: createTasksStore(),
    stats: createStatsStore(),
    logs: createLogsStore(),
    meta: createMetaStore(),
    connection: createConnectionStore(),
    staging: createStagingStore(),
  };
}
export type ClusterStores = ReturnType<typeof createClusterStores>;

/**
 * Applies a batch of cluster events (everything that arrived during one animation frame) with at
 * most one `set` per store. A `snapshot` resets every store; events after it in the batch apply on
 * top. A paged snapshot (`snapshot_begin`, pages, `snapshot_end`) applies as its pages come: nodes
 * and tasks appear page by page, and what the previous state had but the snapshot did not list goes
 * at its end. Returns "resync" when a node delta could not be applied (the client lost track).
 */
export function applyClusterEvents(stores: ClusterStores, events: readonly ClusterEvent[], receivedAtMs: number): "ok" | "resync" {
  let start = 0;
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i] as ClusterEvent;
    if (e.event === "snapshot") {
      const s = e.data;
      stores.paging.current = null;
      stores.nodes.getState().reset(s.nodes, receivedAtMs);
      stores.tasks.getState().reset(s.tasks, receivedAtMs);
      stores.stats.getState().reset(s.stats, s.stats_history);
      stores.logs.getState().reset(s.logs);
      stores.meta.getState().reset({ settings: s.settings, publicUrl: s.public_url, version: s.version });
      start = i + 1;
      break;
    }
  }
  let nodes: NodesDelta[] = [];
  let tasks: TaskStatus[] = [];
  const stats: ClusterStats[] = [];
  const logs: LogEntry[] = [];
  const jobs: StagingJob[] = [];
  let settings: Settings | null = null;
  let consistent = true;
  const flushNodesAndTasks = () => {
    if (!stores.nodes.getState().applyBatch(nodes, receivedAtMs)) consistent = false;
    stores.tasks.getState().applyBatch(tasks, receivedAtMs);
    nodes = [];
    tasks = [];
  };
  for (let i = start; i < events.length; i++) {
    const e = events[i] as ClusterEvent;
    switch (e.event) {
      case "node":
      case "node_removed":
      case "node_event":
      case "node_delta":
        nodes.push(e);
        break;
      case "task":
        tasks.push(e.data);
        break;
      case "stats":
        stats.push(e.data);
        break;
      case "log":
        logs.push(e.data);
        break;
      case "settings":
        settings = e.data;
        break;
      case "staging_job":
        jobs.push(e.data);
        break;
      case "snapshot_begin": {
        // Frames before it in this batch belong to the state it replaces: apply them first.
        flushNodesAndTasks();
        const b = e.data;
        stores.paging.current = { begin: b, nodeIds: new Set(), taskIds: new Set(), logs: [], statsHistory: [] };
        stores.nodes.getState().beginSnapshot(b.now_ms, receivedAtMs);
        stores.meta.getState().reset({ settings: b.settings, publicUrl: b.public_url, version: b.version });
        settings = null;
        break;
      }
      case "snapshot_page": {
        const p = stores.paging.current;
        if (p === null) break;
        const page = e.data;
        if (page.kind === "nodes") {
          for (const n of page.items) p.nodeIds.add(n.node_id);
          nodes.push({ event: "snapshot_nodes", data: page.items });
        } else if (page.kind === "tasks") {
          for (const t of page.items) p.taskIds.add(t.task_id);
          tasks.push(...page.items);
        } else if (page.kind === "logs") p.logs.push(...page.items);
        else p.statsHistory.push(...page.items);
        break;
      }
      case "snapshot_end": {
        const p = stores.paging.current;
        if (p === null) break;
        flushNodesAndTasks();
        stores.paging.current = null;
        stores.nodes.getState().endSnapshot(p.nodeIds);
        stores.tasks.getState().keepOnly(p.taskIds);
        stores.stats.getState().reset(p.begin.stats, p.statsHistory);
        stores.logs.getState().reset(p.logs);
        // Stats and log lines earlier in this batch are older than the snapshot (live frames follow its end).
        stats.splice(0);
        logs.splice(0);
        break;
      }
      case "snapshot":
        break;
    }
  }
  flushNodesAndTasks();
  stores.stats.getState().applyBatch(stats);
  stores.logs.getState().applyBatch(logs);
  stores.staging.getState().applyBatch(jobs);
  if (settings !== null) stores.meta.getState().applySettings(settings);
  return consistent ? "ok" : "resync";
}

/** Collects items and flushes them once per scheduled frame (requestAnimationFrame in the browser). */
export class FrameBatcher<T> {
  private queue: T[] = [];
  private scheduled = false;

  constructor(
    private readonly flush: (items: T[]) => void,
    private readonly schedule: (cb: () => void) => void = (cb) => {
      // rAF does not run in a hidden tab; a timeout keeps the stores current there (and bounded).
      if (typeof document !== "undefined" && document.visibilityState === "hidden") setTimeout(cb, 250);
      else requestAnimationFrame(() => cb());
    },
  ) {}

  push(item: T): void {
    this.queue.push(item);
    if (this.scheduled) return;
    this.scheduled = true;
    this.schedule(() => this.drain());
  }

  /** Flushes now (tests, teardown). */
  drain(): void {
    this.scheduled = false;
    if (this.queue.length === 0) return;
    const items = this.queue;
    this.queue = [];
    this.flush(items);
  }
}
