import type { ClusterEvent, ClusterStats, LogEntry } from "../../src-shared/dashboard/cluster-events.js";
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

/** One zustand store per domain; the cluster stream writes them, views read them. */
export function createClusterStores() {
  return {
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
 * most one `set` per store. A snapshot resets every store; events after it in the batch apply on top.
 */
export function applyClusterEvents(stores: ClusterStores, events: readonly ClusterEvent[], receivedAtMs: number): void {
  let start = 0;
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i] as ClusterEvent;
    if (e.event === "snapshot") {
      const s = e.data;
      stores.nodes.getState().reset(s.nodes, receivedAtMs);
      stores.tasks.getState().reset(s.tasks, receivedAtMs);
      stores.stats.getState().reset(s.stats, s.stats_history);
      stores.logs.getState().reset(s.logs);
      stores.meta.getState().reset({ settings: s.settings, publicUrl: s.public_url, version: s.version });
      start = i + 1;
      break;
    }
  }
  const nodes: NodesDelta[] = [];
  const tasks: TaskStatus[] = [];
  const stats: ClusterStats[] = [];
  const logs: LogEntry[] = [];
  const jobs: StagingJob[] = [];
  let settings: Settings | null = null;
  for (let i = start; i < events.length; i++) {
    const e = events[i] as ClusterEvent;
    switch (e.event) {
      case "node":
      case "node_removed":
      case "node_event":
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
      case "snapshot":
        break;
    }
  }
  stores.nodes.getState().applyBatch(nodes, receivedAtMs);
  stores.tasks.getState().applyBatch(tasks, receivedAtMs);
  stores.stats.getState().applyBatch(stats);
  stores.logs.getState().applyBatch(logs);
  stores.staging.getState().applyBatch(jobs);
  if (settings !== null) stores.meta.getState().applySettings(settings);
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
