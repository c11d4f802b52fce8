import type { DetectionResult } from "../../../src-shared/selftest/selftest.js";
import type { NodeStatus } from "../../../src-shared/nodes/node-info.js";
import type { WorkerClients } from "../workers/worker-clients.js";

export interface DetectionOptions {
  nodeId: string;
  hangMs: number;
  workers: WorkerClients;
  /** The node's status in the registry now (undefined: unknown). */
  statusOf: (nodeId: string) => NodeStatus | undefined;
  /** Liveness settings in force, reported beside the numbers they explain. */
  nodeSuspectMs: number;
  nodeTimeoutMs: number;
  workerStreamIdleMs: number;
  signal: AbortSignal;
  step: () => void;
}

const POLL_MS = 10;

/**
 * Time to detect a dead worker, on the node the operator consented to: its agent is asked to hang
 * (as SIGSTOP would: no heartbeats, a silent watch stream) for hang_ms, and the registry is watched
 * until it takes the node out of placement, then until the node is Online again. Returning only once
 * the node is back (or a bound passed) even when canceled: the run never ends with a node still down
 * because of it.
 */
export async function measureDetection(o: DetectionOptions): Promise<DetectionResult> {
  const client = o.workers.forNode(o.nodeId);
  if (client === undefined || o.statusOf(o.nodeId) !== "Online") return { status: "failed", reason: `node ${o.nodeId} is ${o.statusOf(o.nodeId) ?? "unknown"}, not Online` };
  await client.simulateHang(o.hangMs, o.signal);
  const t0 = performance.now();
  const hangEnds = t0 + o.hangMs;
  let unschedulableAfter: number | null = null;
  let marked: NodeStatus | null = null;
  let backAfter: number | null = null;
  // Detection can take up to the heartbeat timeout; a node that hung past it re-registers first.
  const detectUntil = t0 + o.hangMs + o.nodeTimeoutMs + 2000;
  const backUntil = hangEnds + o.nodeTimeoutMs + 15_000;
  while (performance.now() < detectUntil && !o.signal.aborted) {
    const s = o.statusOf(o.nodeId);
    if (s !== "Online") {
      unschedulableAfter = performance.now() - t0;
      marked = s ?? null;
      break;
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  o.step();
  // Wait for the node to come back even after a cancel: a canceled run must not leave it down.
  while (performance.now() < backUntil) {
    if (performance.now() >= hangEnds && o.statusOf(o.nodeId) === "Online") {
      backAfter = performance.now() - hangEnds;
      break;
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  o.step();
  const round = (ms: number | null) => (ms === null ? null : Math.round(ms));
  return {
    status: "ok",
    node_id: o.nodeId,
    hang_ms: o.hangMs,
    unschedulable_after_ms: round(unschedulableAfter),
    marked,
    back_online_after_ms: round(backAfter),
    node_suspect_ms: o.nodeSuspectMs,
    worker_stream_idle_ms: o.workerStreamIdleMs,
  };
}
