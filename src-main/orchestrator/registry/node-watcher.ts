import type { Logger } from "pino";
import type { FetchLike } from "../../../src-node/tls/cluster-fetch.js";
import type { NodeRegistry } from "./node-registry.js";

const RECONNECT_MS = 500;
const MAX_RECONNECT_MS = 30_000;

/**
 * Crash detection faster than heartbeats: the orchestrator holds one long-lived request to each
 * node's `GET /v2/watch` (an SSE stream of keep-alives). When the worker process dies the kernel
 * closes the socket, and the node is marked Suspect (unschedulable) at once; heartbeat silence then
 * decides Offline. A worker without the route (404) is simply not watched.
 */
export class NodeWatcher {
  private readonly watches = new Map<string, AbortController>();
  /** node_id → address of workers that answered 404: not asked again until they re-register elsewhere. */
  private readonly unsupported = new Map<string, string>();
  private closed = false;

  constructor(
    private readonly registry: NodeRegistry,
    private readonly token: (nodeId: string) => string,
    private readonly logger: Logger,
    private readonly fetchFor: (nodeId: string, address: string) => FetchLike = () => globalThis.fetch,
  ) {
    // Status and address change only with a "state" change; heartbeats that refresh counters are skipped.
    registry.on("changed", (nodeId, change) => {
      if (change === "state") this.reconcile(nodeId);
    });
  }

  close(): void {
    this.closed = true;
    for (const controller of this.watches.values()) controller.abort();
    this.watches.clear();
  }

  private reconcile(nodeId: string): void {
    const node = this.registry.get(nodeId);
    const wanted = !this.closed && node !== undefined && node.status !== "Offline";
    const current = this.watches.get(nodeId);
    if (wanted && current === undefined && this.unsupported.get(nodeId) !== node.address) this.watch(nodeId, node.address);
    if (!wanted && current !== undefined) {
      current.abort();
      this.watches.delete(nodeId);
    }
  }

  private watch(nodeId: string, address: string): void {
    const controller = new AbortController();
    this.watches.set(nodeId, controller);
    void (async () => {
      let connectedOnce = false;
      let delay = RECONNECT_MS;
      while (!controller.signal.aborted) {
        try {
          const res = await this.fetchFor(nodeId, address)(`${address}/v2/watch`, { headers: { authorization: `Bearer ${this.token(nodeId)}` }, signal: controller.signal });
          if (res.status === 404) {
            this.unsupported.set(nodeId, address);
            this.logger.debug({ node_id: nodeId }, "node has no /v2/watch; relying on heartbeats for liveness");
            return;
          }
          if (!res.ok || res.body === null) throw new Error(`watch answered ${res.status}`);
          connectedOnce = true;
          delay = RECONNECT_MS;
          for await (const _chunk of res.body) {
            // Keep-alives only; the point is noticing when the stream ends.
          }
          throw new Error("watch stream ended");
        } catch (err) {
          if (controller.signal.aborted) return;
          const current = this.registry.get(nodeId);
          if (current === undefined || current.address !== address) return;
          if (connectedOnce) this.registry.markSuspect(nodeId, `connection to the node dropped (${err instanceof Error ? err.message : String(err)})`);
          // Unreachable addresses (a firewall, a wrong advertise URL) are retried with capped backoff, not hammered.
          await new Promise((r) => setTimeout(r, delay));
          delay = Math.min(MAX_RECONNECT_MS, delay * 2);
        }
      }
    })().finally(() => {
      if (this.watches.get(nodeId) === controller) this.watches.delete(nodeId);
    });
  }
}
