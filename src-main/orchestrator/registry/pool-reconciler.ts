import type { Logger } from "pino";
import type { OrchestratorMetrics } from "../metrics/orchestrator-metrics.js";
import type { NodeRecord } from "./node-record.js";
import type { NodeRegistry } from "./node-registry.js";
import type { PoolCommander } from "./pool-commander.js";
import { converge, type PoolAction } from "./pool-convergence.js";
import type { PoolDesiredState, PoolProgress } from "./pool-desired-state.js";

export const RECONCILE_BACKOFF_BASE_MS = 1000;
export const RECONCILE_BACKOFF_MAX_MS = 30_000;

/** Exponential back-off after the n-th consecutive attempt that did not converge (n ≥ 1). */
export function reconcileBackoffMs(streak: number): number {
  return Math.min(RECONCILE_BACKOFF_MAX_MS, RECONCILE_BACKOFF_BASE_MS * 2 ** Math.max(0, streak - 1));
}

/**
 * Paddler's loop: on every report from a node (heartbeats, registration) and on every operator
 * request, compare each pool's desired state with the snapshot the worker reported and, while
 * they differ, (re)issue the command that closes the gap: drain, reload, or a reload of the
 * pool's own model to resume a stopped pool. At most one command per pool is in flight; attempts
 * that do not converge back off exponentially. A 409 from the worker means a reload is already
 * under way: it counts as accepted.
 */
export class PoolReconciler {
  private closed = false;

  constructor(
    private readonly registry: NodeRegistry,
    private readonly desired: PoolDesiredState,
    private readonly commander: PoolCommander,
    private readonly metrics: OrchestratorMetrics,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    registry.on("changed", (nodeId) => this.reconcileNode(nodeId));
  }

  close(): void {
    this.closed = true;
  }

  /** Looks at every pool of the node that has a desired state; returns the commands started (for tests). */
  reconcileNode(nodeId: string): Promise<void>[] {
    const node = this.registry.get(nodeId);
    if (this.closed || node === undefined) return [];
    const started: Promise<void>[] = [];
    for (const poolId of node.pool_ids) {
      const attempt = this.reconcilePool(node, poolId);
      if (attempt !== null) started.push(attempt);
    }
    return started;
  }

  private reconcilePool(node: NodeRecord, poolId: string): Promise<void> | null {
    const desired = this.desired.get(poolId);
    if (desired === undefined) return null;
    const progress = this.desired.progressOf(poolId);
    const c = converge(desired, node.pools.find((p) => p.pool_id === poolId), node.status, (sha) => sha);
    if (c.state === "converged") {
      if (progress.streak > 0 || progress.nextAttemptMs !== null) this.logger.info({ pool_id: poolId, node_id: node.node_id, attempts: progress.attempts }, `pool ${poolId} converged: ${c.detail}`);
      Object.assign(progress, { streak: 0, lastError: null, nextAttemptMs: null });
      return null;
    }
    if (c.state === "waiting" || progress.inFlight || (progress.nextAttemptMs !== null && this.now() < progress.nextAttemptMs)) return null;
    progress.inFlight = true;
    progress.streak++;
    return this.attempt(node, poolId, c.action, progress).finally(() => {
      progress.inFlight = false;
      progress.nextAttemptMs = this.now() + reconcileBackoffMs(progress.streak);
    });
  }

  private async attempt(node: NodeRecord, poolId: string, action: PoolAction, progress: PoolProgress): Promise<void> {
    const log = { pool_id: poolId, node_id: node.node_id, command: action.kind, attempt: progress.attempts + 1 };
    try {
      if (action.kind === "resume") {
        // Heartbeats show a stopped pool and a loading one alike; only a stopped one is restarted.
        const state = await this.commander.state(node, poolId);
        if (state !== "stopped") return;
      }
      progress.attempts++;
      const answer =
        action.kind === "drain"
          ? await this.commander.command(node, poolId, "drain", { deadline_ms: action.deadline_ms })
          : await this.commander.command(node, poolId, "reload", { model: `sha256:${action.model}`, drain_deadline_ms: action.deadline_ms });
      if (this.closed) return;
      const accepted = answer.status < 300 || (answer.status === 409 && action.kind !== "drain");
      this.metrics.poolReconcileCommands.inc({ command: action.kind, outcome: accepted ? "accepted" : "refused" });
      if (accepted) {
        progress.lastError = null;
        this.logger.info(log, `pool ${poolId}: ${action.kind} sent to node ${node.node_id} to reach the desired state`);
      } else {
        progress.lastError = `${action.kind} refused by the worker (HTTP ${answer.status}): ${describeBody(answer.body)}`;
        this.logger.warn({ ...log, status: answer.status }, `pool ${poolId}: ${progress.lastError}`);
      }
    } catch (err) {
      if (this.closed) return;
      this.metrics.poolReconcileCommands.inc({ command: action.kind, outcome: "unreachable" });
      progress.lastError = `${action.kind} did not reach node ${node.node_id}: ${err instanceof Error ? err.message : String(err)}`;
      this.logger.warn(log, `pool ${poolId}: ${progress.lastError}`);
    }
  }
}

function describeBody(body: unknown): string {
  if (typeof body === "object" && body !== null && "message" in body && typeof body.message === "string") return body.message;
  return JSON.stringify(body) ?? "no body";
}
