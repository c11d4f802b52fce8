import type { HistoryEntry, NodeState } from "./history.js";

// Invariants over a whole fault run (issue 14): every accepted task ends in exactly one terminal
// event; no token after its terminal event or a cancel's end; no duplicate completion per task id
// or Idempotency-Key; a task that never got a token when its worker failed completes elsewhere when
// another holder exists; no placement to a draining, Suspect or Offline node.

export interface CheckOptions {
  /** Node states are polled: a placement within this long of a state change is not judged. */
  stateToleranceMs: number;
}

export interface RunCounts {
  accepted: number;
  completed: number;
  canceled: number;
  failedByCode: Record<string, number>;
  refusedByCode: Record<string, number>;
  lost: number;
  duplicated: number;
}

export interface CheckResult {
  counts: RunCounts;
  violations: string[];
}

/** Codes for which the error table re-places a task that has no token yet. */
const REPLACEABLE = new Set(["WORKER_RESET", "ENGINE_CRASHED", "POOL_UNREADY", "POOL_UNAVAILABLE", "DECODE_TIMEOUT"]);

/** The node's state at time t, from the polled timeline (latest observation at or before t). */
function stateAt(timeline: readonly Extract<HistoryEntry, { kind: "node" }>[], t: number): Extract<HistoryEntry, { kind: "node" }> | undefined {
  let found: Extract<HistoryEntry, { kind: "node" }> | undefined;
  for (const e of timeline) {
    if (e.t > t) break;
    found = e;
  }
  return found;
}

const schedulable = (s: { state: NodeState; eligible: boolean } | undefined): boolean => s !== undefined && s.state === "Online" && s.eligible;

export function checkHistory(entries: readonly HistoryEntry[], options: CheckOptions): CheckResult {
  const violations: string[] = [];
  const counts: RunCounts = { accepted: 0, completed: 0, canceled: 0, failedByCode: {}, refusedByCode: {}, lost: 0, duplicated: 0 };
  const byTask = new Map<string, HistoryEntry[]>();
  const keys = new Map<string, Set<string>>();
  const timelines = new Map<string, Extract<HistoryEntry, { kind: "node" }>[]>();
  const orchestratorRestarts = entries.flatMap((e) => (e.kind === "fault" && e.fault === "orchestrator-restart" ? [e.t] : []));
  for (const e of entries) {
    if (e.kind === "refused") counts.refusedByCode[e.code] = (counts.refusedByCode[e.code] ?? 0) + 1;
    if (e.kind === "node") timelines.set(e.node, [...(timelines.get(e.node) ?? []), e]);
    if ("task" in e) byTask.set(e.task, [...(byTask.get(e.task) ?? []), e]);
    if (e.kind === "accepted" && e.key !== undefined) keys.set(e.key, (keys.get(e.key) ?? new Set()).add(e.task));
  }
  for (const [key, tasks] of keys) {
    if (tasks.size > 1) {
      counts.duplicated++;
      violations.push(`Idempotency-Key ${key} ran as ${tasks.size} tasks: ${[...tasks].join(", ")}`);
    }
  }
  for (const [task, events] of byTask) {
    const accepted = events.filter((e) => e.kind === "accepted");
    if (accepted.length === 0) continue;
    if (accepted.every((e) => e.kind === "accepted" && e.replayed)) continue;
    counts.accepted++;
    const terminals = events.filter((e) => e.kind === "end" || e.kind === "error");
    const terminal = terminals[0];
    if (terminal === undefined) {
      counts.lost++;
      violations.push(`task ${task}: accepted, no terminal event`);
      continue;
    }
    if (terminals.length > 1) {
      counts.duplicated++;
      violations.push(`task ${task}: ${terminals.length} terminal events`);
    }
    if (terminal.kind === "end") {
      if (terminal.canceled) counts.canceled++;
      else counts.completed++;
    } else counts.failedByCode[terminal.code] = (counts.failedByCode[terminal.code] ?? 0) + 1;
    const tokens = events.filter((e) => e.kind === "token");
    const late = tokens.filter((e) => e.t > terminal.t);
    if (late.length > 0) violations.push(`task ${task}: ${late.length} token(s) after its terminal event`);
    const indices = tokens.map((e) => (e.kind === "token" ? e.index : -1));
    if (new Set(indices).size !== indices.length) {
      counts.duplicated++;
      violations.push(`task ${task}: a token index delivered twice`);
    }
    for (const placed of events.filter((e) => e.kind === "placed")) {
      const timeline = timelines.get(placed.node) ?? [];
      // Polled states lag: judged only when every observation within the tolerance on either side
      // (and the one in force at its start) says unschedulable.
      const tol = options.stateToleranceMs;
      // Only observations of the orchestrator that placed it count (one restarted since knows nothing
      // of what its predecessor saw), and only a full window: when that orchestrator was killed within
      // the tolerance after the placement, the polls that would have seen the node come back (it
      // re-registers and takes queued tasks between two polls) never happened.
      const incarnation = Math.max(-Infinity, ...orchestratorRestarts.filter((t) => t <= placed.t));
      const cutShort = orchestratorRestarts.some((t) => t > placed.t && t <= placed.t + tol);
      const around = [stateAt(timeline, placed.t - tol), ...timeline.filter((e) => e.t > placed.t - tol && e.t <= placed.t + tol)].filter((s) => s === undefined || s.t > incarnation);
      // Polls show states, not every transition: when they show the node changing state around the
      // placement (Offline → Registering → Suspect: it re-registered), it may have been Online between
      // two polls, long enough to be placed on; only an unchanging unschedulable state is judged.
      const changing = new Set(around.map((s) => s?.state)).size > 1;
      if (!cutShort && !changing && around[0] !== undefined && around.every((s) => !schedulable(s))) violations.push(`task ${task}: placed on ${placed.node} at ${placed.t} ms while it was ${around.map((s) => s?.state ?? "?").join(" → ")}`);
    }
    // An orchestrator crash ends running tasks by design (one WORKER_RESET at restart, item 5).
    const crashedMeanwhile = orchestratorRestarts.some((t) => t >= (accepted[0]?.t ?? 0) && t <= terminal.t);
    if (terminal.kind === "error" && tokens.length === 0 && REPLACEABLE.has(terminal.code) && !crashedMeanwhile) {
      const status = events.find((e) => e.kind === "status");
      const accept = accepted[0] as Extract<HistoryEntry, { kind: "accepted" }>;
      const failedOn = status?.kind === "status" ? status.node : null;
      // The status names no node once a task has ended; every node it was placed on is "its" node.
      const triedOn = new Set([...(failedOn === null ? [] : [failedOn]), ...events.flatMap((e) => (e.kind === "placed" ? [e.node] : []))]);
      const holds = (s: Extract<HistoryEntry, { kind: "node" }> | undefined) => schedulable(s) && s !== undefined && s.models.includes(accept.model);
      // Another holder that stayed schedulable, holding the model, from acceptance to the end should
      // have served it (a node with no poll inside the window is judged by the one in force at acceptance).
      const otherHolder = [...timelines.entries()].some(
        ([node, timeline]) => !triedOn.has(node) && timeline.filter((e) => e.t >= accept.t - options.stateToleranceMs && e.t <= terminal.t).every(holds) && holds(stateAt(timeline, accept.t)),
      );
      if (otherHolder && status?.kind === "status" && status.attempts < 2) violations.push(`task ${task}: failed with ${terminal.code} before any token on ${failedOn ?? "?"} after ${status.attempts} attempt(s) although another holder stayed online`);
    }
  }
  return { counts, violations };
}

/** p50 / p99 of a sample (nearest rank), or null when empty. */
export function percentiles(values: readonly number[]): { p50: number; p99: number; n: number } | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] as number;
  return { p50: rank(0.5), p99: rank(0.99), n: sorted.length };
}
