import { EventEmitter } from "node:events";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Settings } from "../../../src-shared/dashboard/settings.js";
import { SseParser } from "../../../src-shared/streaming/sse-codec.js";
import { openDatabase } from "../db/database.js";
import { NodeStore } from "../db/node-store.js";
import { PoolDesiredStore } from "../db/pool-desired-store.js";
import { LogRing } from "../logging/log-ring.js";
import { NodeRegistry } from "../registry/node-registry.js";
import { PoolDesiredState } from "../registry/pool-desired-state.js";
import type { TaskService } from "../tasks/task-service.js";
import type { Task } from "../tasks/task.js";
import { ClusterFeed, QUEUED_FRAMES_PER_FLUSH, SNAPSHOT_QUEUED_TASKS } from "./cluster-feed.js";

// Found by the dashboard adversary: with 5,000 tasks queued, every dispatch moved every task behind it and
// each heard its new position (all at once for tasks admitted before the dashboard connected): ~5 MB a second of task frames, past the feed's 4 MiB bound on what a client
// leaves unread, so the dashboard was dropped (ERR_INCOMPLETE_CHUNKED_ENCODING) and reconnected in a loop,
// its Queue view counting whatever rows it had (500 or 3,246 of 4,996). Position-only news of queued tasks is
// now budgeted per flush, front of the line first; state changes still go out at once; the snapshot lists the
// running tasks however deep the queue (it listed the first 500 of the queue only: 0 running after a reconnect).

const SETTINGS: Settings = { placement_strategy: "least-loaded", admission_capacity: 10_000, admission_policy: "reject", session_token_budget: 0, profile: "home", bind_addr: "127.0.0.1:8080" };

interface FakeTask { task_id: string; state: Task["state"] }

/** The task service surface the feed uses, over a plain list: queued tasks in dispatch order first. */
class FakeTasks extends EventEmitter {
  constructor(readonly tasks: FakeTask[]) {
    super();
  }
  list = () => this.tasks;
  get = (id: string) => this.tasks.find((t) => t.task_id === id);
  private positions: Map<string, number> | null = null;
  /** Moves a task on (and its followers' positions with it). */
  setState(t: FakeTask, state: Task["state"]): void {
    t.state = state;
    this.positions = null;
  }
  queuePosition = (id: string) => {
    this.positions ??= new Map(this.tasks.filter((t) => t.state === "queued").map((t, i) => [t.task_id, i]));
    return this.positions.get(id) ?? null;
  };
  status = (t: FakeTask) => ({ task_id: t.task_id, state: t.state, queue_position: this.queuePosition(t.task_id) });
  queueDepth = () => this.tasks.filter((t) => t.state === "queued").length;
  activeCount = () => this.tasks.filter((t) => t.state === "running").length;
}

function setup(queued: number, running: number) {
  const db = openDatabase(":memory:");
  const registry = new NodeRegistry(new NodeStore(db), new PoolDesiredState(new PoolDesiredStore(db), () => Date.now()), () => Date.now());
  const tasks = new FakeTasks([
    ...Array.from({ length: queued }, (_, i): FakeTask => ({ task_id: `q-${i}`, state: "queued" })),
    ...Array.from({ length: running }, (_, i): FakeTask => ({ task_id: `r-${i}`, state: "running" })),
  ]);
  const feed = new ClusterFeed(registry, tasks as unknown as TaskService, new LogRing(), () => SETTINGS, () => "http://127.0.0.1:8080", "9.9.9");
  return { tasks, feed };
}

/** Task frames in what was written (their data unparsed: the fake's statuses are partial). */
function taskFrames(written: string[]): { task_id: string; state: string; queue_position: number | null }[] {
  return new SseParser().feed(written.join("")).filter((f) => f.event === "task").map((f) => JSON.parse(f.data) as { task_id: string; state: string; queue_position: number | null });
}

afterEach(() => {
  vi.useRealTimers();
});

describe("ClusterFeed with a deep queue", () => {
  it("sends position-only news of queued tasks at most QUEUED_FRAMES_PER_FLUSH a flush, front first; state changes at once", () => {
    vi.useFakeTimers();
    const { tasks, feed } = setup(5000, 0);
    const written: string[] = [];
    feed.subscribe((frame) => written.push(frame), 1);
    // 5,000 tasks are admitted at once: they appear flush by flush, in the order they came.
    for (const t of tasks.tasks) tasks.emit("task", t);
    expect(taskFrames(written)).toHaveLength(0);
    vi.advanceTimersByTime(250);
    expect(taskFrames(written).map((f) => f.task_id)).toEqual(Array.from({ length: QUEUED_FRAMES_PER_FLUSH }, (_, i) => `q-${i}`));
    vi.advanceTimersByTime(250 * Math.ceil(5000 / QUEUED_FRAMES_PER_FLUSH));
    expect(new Set(taskFrames(written).map((f) => f.task_id)).size).toBe(5000);
    expect(taskFrames(written)).toHaveLength(5000);
    written.length = 0;
    // …then the front task starts: every task behind it hears its new position.
    const front = tasks.tasks[0] as FakeTask;
    tasks.setState(front, "running");
    tasks.emit("task", front);
    for (const t of tasks.tasks.slice(1)) tasks.emit("task", t);
    const atOnce = taskFrames(written);
    expect(atOnce.map((f) => [f.task_id, f.state])).toEqual([["q-0", "running"]]);
    written.length = 0;
    vi.advanceTimersByTime(250);
    const first = taskFrames(written);
    expect(first).toHaveLength(QUEUED_FRAMES_PER_FLUSH);
    expect(first.map((f) => f.queue_position)).toEqual(Array.from({ length: QUEUED_FRAMES_PER_FLUSH }, (_, i) => i));
    // The rest follow flush by flush; none is lost, none sent twice.
    written.length = 0;
    vi.advanceTimersByTime(250 * Math.ceil(4999 / QUEUED_FRAMES_PER_FLUSH));
    const rest = taskFrames(written);
    expect(rest).toHaveLength(4999 - QUEUED_FRAMES_PER_FLUSH);
    expect(new Set([...first, ...rest].map((f) => f.task_id)).size).toBe(4999);
    expect(feed.memoryStats().feed_queued_news).toBe(0);
    // A queued task that ends while its position news waits: its terminal frame goes out at once, the news never.
    written.length = 0;
    const last = tasks.tasks[4999] as FakeTask;
    tasks.emit("task", last);
    tasks.setState(last, "canceled");
    tasks.emit("task", last);
    vi.advanceTimersByTime(1000);
    expect(taskFrames(written).map((f) => f.state)).toEqual(["canceled"]);
    feed.stop();
  });

  it("a dashboard that connects after the queue filled gets the moved tasks budgeted, not all at once", () => {
    vi.useFakeTimers();
    const { tasks, feed } = setup(5000, 0);
    // Admitted while nobody watched: the feed has no record of them.
    for (const t of tasks.tasks) tasks.emit("task", t);
    const written: string[] = [];
    feed.subscribe((frame) => written.push(frame), 1);
    written.length = 0;
    tasks.setState(tasks.tasks[0] as FakeTask, "running");
    for (const t of tasks.tasks) tasks.emit("task", t);
    expect(taskFrames(written).map((f) => f.task_id)).toEqual(["q-0"]);
    vi.advanceTimersByTime(250);
    expect(taskFrames(written)).toHaveLength(1 + QUEUED_FRAMES_PER_FLUSH);
    feed.stop();
  });

  it("the snapshot lists every running task and the front of the queue, however deep the queue", () => {
    const { feed } = setup(5000, 40);
    const parts = feed.pagedSnapshot();
    const states = parts.tasks.map((t) => t.state);
    expect(states.filter((s) => s === "running")).toHaveLength(40);
    expect(states.filter((s) => s === "queued")).toHaveLength(SNAPSHOT_QUEUED_TASKS);
    expect(parts.tasks[0]?.task_id).toBe("q-0");
    expect(feed.snapshot().tasks.filter((t) => t.state === "running")).toHaveLength(40);
    feed.stop();
  });
});
