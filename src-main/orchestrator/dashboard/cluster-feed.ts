import type { ClusterEvent, ClusterSnapshot, ClusterStats } from "../../../src-shared/dashboard/cluster-events.js";
import { snapshotFrames, type SnapshotParts } from "../../../src-shared/dashboard/snapshot-paging.js";
import type { Settings } from "../../../src-shared/dashboard/settings.js";
import type { StagingJob } from "../../../src-shared/staging/staging-job.js";
import type { TaskService } from "../tasks/task-service.js";
import type { Task } from "../tasks/task.js";
import type { LogRing } from "../logging/log-ring.js";
import type { NodeRegistry } from "../registry/node-registry.js";
import { ClusterStatsSampler } from "./cluster-stats.js";
import { NodeFrames, type NodeFrame } from "./node-frames.js";

const TASK_FRAME_INTERVAL_MS = 250;
/**
 * Frames a flush (every TASK_FRAME_INTERVAL_MS) sends for queued tasks whose only news is their place in
 * line. Every dispatch moves every task behind it, and each of them hears its new position (at most once a
 * second): 5,000 queued tasks made ~5 MB a second of task frames, more than the feed's 4 MiB buffer bound,
 * so the dashboard was dropped and reconnected in a loop. Bounded here, the front of the line first; state
 * changes still go out at once, and queue counts come from the stats frame.
 */
export const QUEUED_FRAMES_PER_FLUSH = 100;
/** Queued tasks the snapshot lists (the front of the line); running tasks are always listed. */
export const SNAPSHOT_QUEUED_TASKS = 500;
const SNAPSHOT_TASKS = 500;
const SNAPSHOT_LOGS = 500;

/** GET /v2/events protocols: 1 = one snapshot frame and whole node frames; 2 = paged snapshot and node deltas. */
export type FeedProtocol = 1 | 2;

interface Subscriber {
  protocol: FeedProtocol;
  write: (frame: string) => void;
  /** Live frames held back while the paged snapshot is still going out (null once it is done). */
  held: string[] | null;
  pager: NodeJS.Immediate | null;
  /** Whether it gets log lines (snapshot and live): admin only, as GET /v2/logs. */
  logs: boolean;
}

/** Who a subscriber is: log lines are the admin's (GET /v2/logs); a `read` key sees everything else. */
export interface FeedAudience {
  logs: boolean;
}

/** One frame, serialised once however many subscribers get it. */
function encodeFrame(event: ClusterEvent): string {
  return `event: ${event.event}\ndata: ${JSON.stringify(event.data)}\n\n`;
}

/**
 * The dashboard's one live stream (GET /v2/events): a snapshot, then node, task, stats, log and
 * settings deltas as they happen. Task progress frames are throttled per task; terminal and state
 * changes go out at once. Protocol 2 subscribers get the snapshot in pages, one page per turn of the
 * event loop (heartbeats keep being answered meanwhile), their live frames held back until the last
 * page, and node deltas instead of whole node frames.
 */
export class ClusterFeed {
  private readonly subscribers = new Set<Subscriber>();
  private readonly stats = new ClusterStatsSampler();
  private readonly lastTaskFrame = new Map<string, { at: number; state: string; timer: NodeJS.Timeout | null }>();
  /** Queued tasks whose position changed since their last frame, in the order they were told (front first). */
  private readonly queuedNews = new Map<string, Task>();
  private queuedFlush: NodeJS.Timeout | null = null;
  private readonly nodeFrames: NodeFrames;
  private ticker: NodeJS.Timeout | null = null;
  private lastSample = Date.now();

  constructor(
    private readonly registry: NodeRegistry,
    private readonly tasks: TaskService,
    private readonly logs: LogRing,
    private readonly settings: () => Settings,
    private readonly publicUrl: () => string,
    private readonly version: string,
  ) {
    this.nodeFrames = new NodeFrames(registry, (frame) => this.nodeFrame(frame), Date.now, () => this.subscribers.size > 0);
    registry.on("changed", (nodeId, change) => this.nodeFrames.changed(nodeId, change));
    registry.on("event", (nodeId, event) => this.broadcast({ event: "node_event", data: { node_id: nodeId, event } }));
    tasks.on("task", (task) => this.onTask(task));
    tasks.on("forgotten", (task) => this.dropTaskFrame(task.task_id));
    tasks.on("token", (task) => {
      this.stats.noteToken();
      this.onTask(task);
    });
    logs.subscribe((entry) => this.broadcast({ event: "log", data: entry }));
  }

  start(): void {
    this.ticker = setInterval(() => this.tick(), 1000);
    this.ticker.unref();
    this.nodeFrames.start();
  }

  stop(): void {
    if (this.ticker) clearInterval(this.ticker);
    for (const t of this.lastTaskFrame.values()) if (t.timer) clearTimeout(t.timer);
    if (this.queuedFlush) clearTimeout(this.queuedFlush);
    this.queuedFlush = null;
    this.queuedNews.clear();
    this.nodeFrames.stop();
    for (const sub of this.subscribers) if (sub.pager) clearImmediate(sub.pager);
  }

  /** Sizes of the per-task frame state (the memory test checks it empties). */
  memoryStats(): Record<string, number> {
    let timers = 0;
    for (const t of this.lastTaskFrame.values()) if (t.timer !== null) timers++;
    return { feed_task_frames: this.lastTaskFrame.size, feed_frame_timers: timers, feed_listeners: this.subscribers.size, feed_queued_news: this.queuedNews.size };
  }

  settingsChanged(): void {
    this.broadcast({ event: "settings", data: this.settings() });
  }

  /** A staging job changed (the runner reports at most every poll interval per job). */
  stagingJobChanged(job: StagingJob): void {
    this.broadcast({ event: "staging_job", data: job });
  }

  /** Starts a subscriber's stream with its snapshot; `write` gets SSE frames. Returns the unsubscribe. */
  subscribe(write: (frame: string) => void, protocol: FeedProtocol = 1, audience: FeedAudience = { logs: true }): () => void {
    const sub: Subscriber = { protocol, write, held: null, pager: null, logs: audience.logs };
    if (protocol === 1) {
      // Baselines for the node frames that follow (nodes changed while nobody listened have none).
      this.nodeFrames.baseline();
      const snapshot = this.snapshot();
      write(encodeFrame({ event: "snapshot", data: sub.logs ? snapshot : { ...snapshot, logs: [] } }));
    }
    else this.sendPagedSnapshot(sub);
    this.subscribers.add(sub);
    return () => {
      if (sub.pager) clearImmediate(sub.pager);
      this.subscribers.delete(sub);
    };
  }

  /** What a paged snapshot carries, taken at once (node baselines and the frame number they match). */
  pagedSnapshot(): SnapshotParts {
    const now = Date.now();
    const { seq, nodes } = this.nodeFrames.baseline();
    return {
      begin: { node_seq: seq, now_ms: now, stats: this.stats.latest() ?? this.sampleNow(now), settings: this.settings(), public_url: this.publicUrl(), version: this.version },
      nodes,
      tasks: this.snapshotTasks().map((t) => this.status(t)),
      logs: this.logs.recent(SNAPSHOT_LOGS),
      stats_history: this.stats.recent(),
    };
  }

  private sendPagedSnapshot(sub: Subscriber): void {
    const parts = this.pagedSnapshot();
    const frames = snapshotFrames(sub.logs ? parts : { ...parts, logs: [] });
    sub.held = [];
    // One frame ahead, so the held live frames follow snapshot_end in the same turn.
    let ahead = frames.next();
    const next = (): boolean => {
      if (ahead.done !== true) {
        sub.write(ahead.value);
        ahead = frames.next();
      }
      if (ahead.done !== true) return true;
      const held = sub.held ?? [];
      sub.held = null;
      sub.pager = null;
      for (const frame of held) sub.write(frame);
      return false;
    };
    // snapshot_begin and the first page at once; then one page per turn of the event loop.
    if (!next() || !next()) return;
    const pump = () => {
      sub.pager = null;
      if (next()) sub.pager = setImmediate(pump);
    };
    sub.pager = setImmediate(pump);
  }

  snapshot(): ClusterSnapshot {
    const now = Date.now();
    const tasks = this.snapshotTasks().map((t) => this.status(t));
    return {
      nodes: this.registry.list().map((n) => this.registry.describe(n, now)),
      tasks,
      stats: this.stats.latest() ?? this.sampleNow(now),
      stats_history: this.stats.recent(),
      settings: this.settings(),
      logs: this.logs.recent(SNAPSHOT_LOGS),
      public_url: this.publicUrl(),
      version: this.version,
    };
  }

  /**
   * The tasks a snapshot lists: the front of the queue (SNAPSHOT_QUEUED_TASKS), every task on a worker
   * (bounded by the cluster's slots), then the most recent others up to SNAPSHOT_TASKS. A deep queue took
   * the whole list before: after a reconnect the board showed 0 running while tasks ran.
   */
  private snapshotTasks(): Task[] {
    const all = this.tasks.list();
    const queued: Task[] = [];
    const active: Task[] = [];
    const rest: Task[] = [];
    for (const t of all) {
      if (t.state === "queued") {
        if (queued.length < SNAPSHOT_QUEUED_TASKS) queued.push(t);
      } else if (t.state === "completed" || t.state === "failed" || t.state === "canceled") {
        if (rest.length < SNAPSHOT_TASKS) rest.push(t);
      } else active.push(t);
    }
    return [...queued, ...active, ...rest.slice(0, Math.max(0, SNAPSHOT_TASKS - queued.length - active.length))];
  }

  /** Placement trimmed to its top candidates: the full list (one verdict per pool in the cluster) is GET /v2/tasks/{id}'s. */
  private status(task: Task) {
    return this.tasks.status(task, "top");
  }

  private onTask(task: Task): void {
    if (task.state === "completed" || task.state === "failed" || task.state === "canceled") {
      if (this.lastTaskFrame.get(task.task_id)?.state === task.state) return;
      this.dropTaskFrame(task.task_id);
      this.stats.noteFinished(task.first_token_at_ms !== null ? task.first_token_at_ms - task.enqueued_at_ms : null);
      if (this.subscribers.size > 0) this.broadcast({ event: "task", data: this.status(task) });
      return;
    }
    // Nobody watching: no status object, frame entry or trailing timer per token (a dashboard that
    // connects later starts from a snapshot, which has every task as it is then).
    if (this.subscribers.size === 0) return;
    const now = Date.now();
    const last = this.lastTaskFrame.get(task.task_id);
    if (task.state === "queued" && (last === undefined || last.state === "queued")) {
      // Admitted, or only its place in line moved: budgeted (see QUEUED_FRAMES_PER_FLUSH). A task the feed
      // never sent counts as new (tasks admitted while nobody watched, every one of them at once on the
      // first move after a dashboard connects).
      if (last?.timer) clearTimeout(last.timer);
      if (last !== undefined) last.timer = null;
      this.queuedNews.set(task.task_id, task);
      this.queuedFlush ??= setTimeout(() => this.flushQueuedNews(), TASK_FRAME_INTERVAL_MS);
      this.queuedFlush.unref();
      return;
    }
    this.queuedNews.delete(task.task_id);
    if (last === undefined || last.state !== task.state || now - last.at >= TASK_FRAME_INTERVAL_MS) {
      if (last?.timer) clearTimeout(last.timer);
      this.lastTaskFrame.set(task.task_id, { at: now, state: task.state, timer: null });
      this.broadcast({ event: "task", data: this.status(task) });
    } else if (last.timer === null) {
      // Coalesce: one trailing frame carries the latest progress.
      last.timer = setTimeout(() => {
        last.timer = null;
        last.at = Date.now();
        if (this.tasks.get(task.task_id)?.state === task.state) this.broadcast({ event: "task", data: this.status(task) });
      }, TASK_FRAME_INTERVAL_MS - (now - last.at));
      last.timer.unref();
    }
  }

  /**
   * Sends the next QUEUED_FRAMES_PER_FLUSH queued tasks: new ones first (in the order they came, so each
   * appears on the board however long the line), then moved ones from the front of the line. The rest wait
   * for the next flush.
   */
  private flushQueuedNews(): void {
    this.queuedFlush = null;
    const now = Date.now();
    let due = [...this.queuedNews.values()];
    if (due.length > QUEUED_FRAMES_PER_FLUSH) {
      // New rows first, then the front of the line: what an operator watches next.
      const position = new Map(due.map((t) => [t, this.lastTaskFrame.has(t.task_id) ? (this.tasks.queuePosition(t.task_id) ?? Number.MAX_SAFE_INTEGER) : -1]));
      due = due.sort((a, b) => (position.get(a) ?? 0) - (position.get(b) ?? 0)).slice(0, QUEUED_FRAMES_PER_FLUSH);
    }
    for (const task of due) {
      this.queuedNews.delete(task.task_id);
      if (task.state !== "queued" || this.subscribers.size === 0) continue;
      const last = this.lastTaskFrame.get(task.task_id);
      if (last !== undefined) last.at = now;
      else this.lastTaskFrame.set(task.task_id, { at: now, state: "queued", timer: null });
      this.broadcast({ event: "task", data: this.status(task) });
    }
    if (this.queuedNews.size > 0) {
      this.queuedFlush = setTimeout(() => this.flushQueuedNews(), TASK_FRAME_INTERVAL_MS);
      this.queuedFlush.unref();
    }
  }

  /** A task's frame state goes with the task (terminal, or an admission undone): no entry or timer per finished task. */
  private dropTaskFrame(taskId: string): void {
    this.queuedNews.delete(taskId);
    const last = this.lastTaskFrame.get(taskId);
    if (last?.timer) clearTimeout(last.timer);
    this.lastTaskFrame.delete(taskId);
  }

  private tick(): void {
    const now = Date.now();
    this.broadcast({ event: "stats", data: this.sampleNow(now) });
  }

  private sampleNow(now: number): ClusterStats {
    const nodes = this.registry.list();
    const pools = nodes.flatMap((n) => n.pools.map((p) => ({ ready: n.status === "Online" && p.ready && !p.draining && this.registry.placementHold(p) === null })));
    const stats = this.stats.sample(now, now - this.lastSample, {
      queue_depth: this.tasks.queueDepth(),
      running: this.tasks.activeCount(),
      nodes_online: nodes.filter((n) => n.status === "Online").length,
      nodes_total: nodes.length,
      pools_ready: pools.filter((p) => p.ready).length,
      pools_total: pools.length,
    });
    this.lastSample = now;
    return stats;
  }

  private nodeFrame(frame: NodeFrame): void {
    if (frame.kind === "node") {
      this.broadcast({ event: "node", data: frame.node }, 1);
      this.broadcast({ event: "node_delta", data: frame.delta }, 2);
    } else {
      this.broadcast({ event: "node_removed", data: { node_id: frame.node_id } }, 1);
      this.broadcast({ event: "node_removed", data: { node_id: frame.node_id, seq: frame.seq } }, 2);
    }
  }

  /** Sends `event` to every subscriber (of `protocol` only, when given), serialising it at most once. */
  private broadcast(event: ClusterEvent, protocol?: FeedProtocol): void {
    let text: string | null = null;
    for (const sub of this.subscribers) {
      if (protocol !== undefined && sub.protocol !== protocol) continue;
      // Log lines went to every subscriber: a `read` key got through /v2/events what GET /v2/logs refuses it.
      if (event.event === "log" && !sub.logs) continue;
      text ??= encodeFrame(event);
      if (sub.held !== null) sub.held.push(text);
      else sub.write(text);
    }
  }
}
