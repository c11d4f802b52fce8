import type { Agent as HttpsAgent } from "node:https";
import type { Logger } from "pino";
import { openLivenessStream } from "../../../src-node/liveness-stream.js";
import { OWN_STALL_MS } from "../../../src-node/own-stall.js";
import type { NodeRegistry } from "./node-registry.js";

const RECONNECT_MS = 500;
const MAX_RECONNECT_MS = 30_000;

/** One node's watch loop: the address it watches, its stop, and a wake-up for its reconnect backoff. */
interface Watch {
  readonly address: string;
  readonly controller: AbortController;
  /** Ends the backoff sleep now (the node is back Online: try its watch again without waiting). */
  wake: () => void;
  /** The node's online epoch when the loop started or was last woken: one wake per return Online. */
  epoch: number;
}

/** Why a watch attempt was given up: the worker sends a keep-alive every second, so silence is a fault. */
class WatchSilent extends Error {
  constructor(ms: number) {
    super(`the watch stream went silent for ${ms} ms`);
  }
}

/**
 * Crash detection faster than heartbeats: the orchestrator holds one long-lived request to each
 * node's `GET /v2/watch` (an SSE stream of keep-alives, one a second). When the worker process dies the
 * kernel closes the socket, and the node is marked Suspect (unschedulable) at once; heartbeat silence
 * then decides Offline. A worker without the route (404) is simply not watched.
 *
 * The orchestrator is the client here, so it bounds its own wait: an attempt with no byte for
 * `idleMs()` (`worker_stream_idle_ms`) — a black hole, nothing closed — is failed like a dropped
 * connection and reconnected with backoff. Only a watch that was live marks the node Suspect, once per
 * outage; reconnect attempts that fail do not, so heartbeats alone decide when the node is Online again.
 */
export class NodeWatcher {
  private readonly watches = new Map<string, Watch>();
  /** node_id → address of workers that answered 404: not asked again until they re-register elsewhere. */
  private readonly unsupported = new Map<string, string>();
  /** node_id → when its live watch last delivered a byte; absent while no watch is connected. */
  private readonly heardAt = new Map<string, number>();
  private closed = false;

  constructor(
    private readonly registry: NodeRegistry,
    private readonly token: (nodeId: string) => string | undefined,
    private readonly logger: Logger,
    /** In a TLS cluster, the node's agent (trusting the cluster CA alone, checking the node's name). */
    private readonly agentFor: (nodeId: string, address: string) => HttpsAgent | undefined = () => undefined,
    private readonly idleMs: () => number = () => 5000,
  ) {
    // Status and address change only with a "state" change; heartbeats that refresh counters are skipped.
    registry.on("changed", (nodeId, change) => {
      if (change === "state") this.reconcile(nodeId);
    });
  }

  /**
   * Whether the node's watch is connected and delivered a byte within `withinMs`: the process is up
   * and its connection to us works, whatever one task stream just did (a crash closes the watch too,
   * a hang silences it).
   */
  vouchesFor(nodeId: string, withinMs: number, now: number = performance.now()): boolean {
    const at = this.heardAt.get(nodeId);
    return at !== undefined && now - at <= withinMs;
  }

  close(): void {
    this.closed = true;
    for (const w of this.watches.values()) w.controller.abort();
    this.watches.clear();
  }

  private reconcile(nodeId: string): void {
    const node = this.registry.get(nodeId);
    const wanted = !this.closed && node !== undefined && node.status !== "Offline";
    let current = this.watches.get(nodeId);
    // A node that registered again under another address is watched there, at once. Before, the loop kept
    // the address it started with (it noticed the move only when that connection broke, then ended), and a
    // new one started only on a later state change: the node went unwatched, or watched at an address it
    // had left (fleetops adversary).
    if (current !== undefined && (!wanted || current.address !== node.address)) {
      current.controller.abort();
      this.watches.delete(nodeId);
      current = undefined;
    }
    if (wanted && current === undefined && this.unsupported.get(nodeId) !== node.address) this.watch(nodeId, node.address);
    // Back Online while the loop waits out its reconnect backoff (up to MAX_RECONNECT_MS after a long
    // outage): reconnect now, so the node is watched (and vouched for) from its return on. Once per return.
    else if (current !== undefined && node?.status === "Online" && !this.heardAt.has(nodeId) && current.epoch !== this.registry.onlineEpoch(nodeId)) {
      current.epoch = this.registry.onlineEpoch(nodeId);
      current.wake();
    }
  }

  private watch(nodeId: string, address: string): void {
    const controller = new AbortController();
    const w: Watch = { address, controller, wake: () => undefined, epoch: this.registry.onlineEpoch(nodeId) };
    this.watches.set(nodeId, w);
    void (async () => {
      let delay = RECONNECT_MS;
      while (!controller.signal.aborted) {
        const outcome = await this.attempt(nodeId, address, controller.signal);
        if (outcome === "unsupported" || controller.signal.aborted) return;
        const current = this.registry.get(nodeId);
        if (current === undefined || current.address !== address) return;
        if (outcome.live) {
          this.registry.markSuspect(nodeId, `connection to the node dropped (${outcome.error.message})`);
          delay = RECONNECT_MS;
        } else {
          this.logger.debug({ node_id: nodeId, err: outcome.error.message }, "watch reconnect failed");
        }
        // Unreachable addresses (a firewall, a wrong advertise URL) are retried with capped backoff, not hammered.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, delay);
          function done(): void {
            clearTimeout(timer);
            controller.signal.removeEventListener("abort", done);
            w.wake = () => undefined;
            resolve();
          }
          w.wake = done;
          controller.signal.addEventListener("abort", done, { once: true });
        });
        delay = Math.min(MAX_RECONNECT_MS, delay * 2);
      }
    })().finally(() => {
      if (this.watches.get(nodeId) === w) this.watches.delete(nodeId);
    });
  }

  /** One connection: ends when the stream breaks, goes silent for idleMs(), or the watch is stopped. */
  private async attempt(nodeId: string, address: string, stop: AbortSignal): Promise<"unsupported" | { live: boolean; error: Error }> {
    const attempt = new AbortController();
    const onStop = () => attempt.abort();
    stop.addEventListener("abort", onStop, { once: true });
    const idleMs = this.idleMs();
    // Armed from the request on: a black hole that never answers is as silent as one that stops mid-stream.
    // One timer per attempt, pushed back per chunk (refresh allocates nothing: 1,000 watches ping once a second).
    let armedAt = performance.now();
    let forgiven = false;
    const silence = setTimeout(function fire(this: void) {
      // Fired late: the orchestrator itself was not running (see OWN_STALL_MS); what the worker sent
      // meanwhile is unread. Once per silence: late again with nothing heard, the watch is judged.
      if (performance.now() - (armedAt + idleMs) > OWN_STALL_MS && !forgiven) {
        forgiven = true;
        armedAt = performance.now();
        silence.refresh();
        return;
      }
      attempt.abort(new WatchSilent(idleMs));
    }, idleMs);
    const heard = () => {
      if (stop.aborted) return;
      forgiven = false;
      armedAt = performance.now();
      silence.refresh();
      this.heardAt.set(nodeId, armedAt);
      this.registry.watchHeard(nodeId);
    };
    let live = false;
    try {
      const token = this.token(nodeId);
      if (token === undefined) throw new Error(`no credential known for node ${nodeId} until it registers again`);
      const res = await openLivenessStream(`${address}/v2/watch`, token, attempt.signal, this.agentFor(nodeId, address));
      if (res.statusCode === 404) {
        res.close();
        this.unsupported.set(nodeId, address);
        this.logger.debug({ node_id: nodeId }, "node has no /v2/watch; relying on heartbeats for liveness");
        return "unsupported";
      }
      const status = res.statusCode;
      if (status < 200 || status > 299) {
        res.close();
        throw new Error(`watch answered ${status}`);
      }
      live = true;
      heard();
      return await new Promise<never>((_resolve, reject) => {
        res.onBytes(heard);
        // An orderly end, a reset or an abort: the stream is gone either way.
        res.onGone(reject);
      });
    } catch (err) {
      const reason: unknown = attempt.signal.reason;
      const error = reason instanceof WatchSilent ? reason : err instanceof Error ? err : new Error(String(err));
      return { live, error };
    } finally {
      // Not when a newer loop (the node moved to another address) has the node now: the entry is its.
      const owner = this.watches.get(nodeId);
      if (owner === undefined || owner.controller.signal === stop) this.heardAt.delete(nodeId);
      clearTimeout(silence);
      stop.removeEventListener("abort", onStop);
      attempt.abort();
    }
  }
}
