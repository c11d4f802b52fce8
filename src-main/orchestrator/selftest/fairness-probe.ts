import { randomUUID } from "node:crypto";
import type { FairnessResult } from "../../../src-shared/selftest/selftest.js";
import type { Priority } from "../../../src-shared/tasks/task-request.js";
import { TaskStatusSchema, isTerminalTaskState, type TaskStatus } from "../../../src-shared/tasks/task-status.js";
import { countInversions } from "./fairness-order.js";
import { summarize } from "./latency-summary.js";
import { SELFTEST_PROMPT } from "./overhead-probe.js";
import type { SelfClient } from "./self-client.js";
import type { TestTarget } from "./test-target.js";

export interface FairnessOptions {
  target: TestTarget;
  /** Tasks per lane in the burst. */
  perLane: number;
  self: SelfClient;
  signal: AbortSignal;
  step: () => void;
}

/** Long enough that the blockers still hold their slots while the burst is submitted. */
const BLOCKER_TOKENS = 96;
const BURST_TOKENS = 2;
const WAIT_LIMIT_MS = 60_000;

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => { clearTimeout(timer); reject(signal.reason as Error); }, { once: true });
  });

/**
 * Queue fairness: every slot of the pool is taken by a blocker task, then a burst of batch tasks and
 * then interactive ones is submitted back to back (all pinned to that pool), then the blockers are
 * canceled. The queue promises interactive before batch and first come first served within a lane for
 * one key (the probe's tasks all come from the orchestrator's own token; across keys a lane is round robin);
 * the report gives the order they really started in and counts every broken promise. Every task the
 * probe created is canceled on the way out, whatever happened.
 */
export async function measureFairness(o: FairnessOptions): Promise<FairnessResult> {
  const created: string[] = [];
  const submit = async (priority: Priority, maxTokens: number): Promise<string> => {
    o.signal.throwIfAborted();
    const taskId = randomUUID();
    created.push(taskId);
    // Not aborted mid-request: a POST cut off after the server admitted it would leave a task nobody cancels.
    const res = await o.self.call("POST", "/v2/tasks", {
      task_id: taskId, session_id: randomUUID(), workload: "completion", model_ref: `sha256:${o.target.model_sha256}`, engine: "llamacpp", ctx: 128, priority,
      prompt: SELFTEST_PROMPT, max_tokens: maxTokens, temperature: 0, deadline_ms: WAIT_LIMIT_MS, placement: { mode: "pin", pin_pool_id: o.target.pool_id },
    }, AbortSignal.timeout(10_000));
    if (res.status !== 202) throw new Error(`POST /v2/tasks answered ${res.status}: ${JSON.stringify(res.json).slice(0, 200)}`);
    return taskId;
  };
  const status = async (taskId: string): Promise<TaskStatus> => {
    const res = await o.self.call("GET", `/v2/tasks/${taskId}`, undefined, o.signal);
    if (res.status !== 200) throw new Error(`GET /v2/tasks/${taskId} answered ${res.status}`);
    return TaskStatusSchema.parse(res.json);
  };
  const cancel = (taskId: string) => o.self.call("POST", `/v2/tasks/${taskId}/cancel`, undefined, AbortSignal.timeout(5000)).catch(() => undefined);
  const waitAll = async (ids: readonly string[], done: (s: TaskStatus) => boolean): Promise<TaskStatus[]> => {
    const until = Date.now() + WAIT_LIMIT_MS;
    for (;;) {
      const all = await Promise.all(ids.map(status));
      if (all.every(done) || Date.now() > until) return all;
      await sleep(25, o.signal);
    }
  };
  try {
    const blockers: string[] = [];
    for (let i = 0; i < o.target.slots_total; i += 1) blockers.push(await submit("interactive", BLOCKER_TOKENS));
    await waitAll(blockers, (s) => s.state === "running" || isTerminalTaskState(s.state));
    const burst: { id: string; priority: Priority }[] = [];
    for (const priority of ["batch", "interactive"] as const) {
      for (let i = 0; i < o.perLane; i += 1) {
        burst.push({ id: await submit(priority, BURST_TOKENS), priority });
        o.step();
      }
    }
    const releasedAt = Date.now();
    await Promise.all(blockers.map(cancel));
    const final = await waitAll(burst.map((b) => b.id), (s) => isTerminalTaskState(s.state));
    const timed = final.map((s) => ({ priority: s.priority, enqueued_at_ms: s.timings.enqueued_at_ms, started_at_ms: s.timings.started_at_ms }));
    const startOrder = [...timed.keys()].filter((i) => timed[i]?.started_at_ms != null).sort((a, b) => (timed[a]?.started_at_ms ?? 0) - (timed[b]?.started_at_ms ?? 0) || a - b);
    const inversions = countInversions(timed);
    const waits = (p: Priority) => final.filter((s) => s.priority === p && s.timings.queue_wait_ms !== null).map((s) => s.timings.queue_wait_ms as number);
    const queued = timed.filter((t) => t.started_at_ms !== null && t.started_at_ms >= releasedAt).length;
    const unfinished = final.filter((s) => s.state !== "completed").length;
    return {
      status: "ok",
      pool_id: o.target.pool_id,
      blockers: blockers.length,
      queued_behind_blockers: queued,
      order: final.map((s, i) => ({ priority: s.priority, submitted: i, started: startOrder.includes(i) ? startOrder.indexOf(i) : null, queue_wait_ms: s.timings.queue_wait_ms, state: s.state })),
      priority_inversions: inversions.priority,
      fifo_inversions: inversions.fifo,
      interactive_wait: summarize(waits("interactive")),
      batch_wait: summarize(waits("batch")),
      passed: inversions.priority === 0 && inversions.fifo === 0 && unfinished === 0,
    };
  } finally {
    // Never leave a task behind: cancel whatever is not finished (a finished one answers 404 or 204).
    const left = await Promise.all(created.map((id) => status(id).catch(() => null)));
    await Promise.all(created.filter((_id, i) => { const s = left[i]; return s === null || s === undefined || !isTerminalTaskState(s.state); }).map(cancel));
  }
}
